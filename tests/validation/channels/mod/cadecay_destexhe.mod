TITLE cad: submembrane Ca2+ with first-order decay, inward currents only (Pospischil et al. 2008)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
SUFFIX and RANGE names and the numerical conventions (constant F, METHOD derivimplicit, unused
pump parameters kt, kd) follow ModelDB 123623's cadecay_destexhe.mod (SUFFIX cad), so that NEURON
runs of the ModelDB cells are reproduced.
Sources: Destexhe, Contreras, Sejnowski & Steriade 1994 (J Neurophysiol 72:803), in the form of
Pospischil et al. 2008 (Biol Cybern 99:427), section 2.2.3:

  drive = -1e4 ica/(2 F depth), set to 0 where drive <= 0 (Ca is never pumped inward)
  dcai/dt = drive + (cainf - cai)/taur          (mM/ms; depth in um, F = 96489 C/mol)
  cai = cainf at initialisation; ica = the compartment's total Ca current (mA/cm2) of the
  start of the step. METHOD derivimplicit: one backward-Euler step (NEURON's Newton iteration;
  the equation is linear in cai), cai' = (cai + dt (drive + cainf/taur))/(1 + dt/taur).
ENDCOMMENT

NEURON {
    SUFFIX cad
    USEION ca READ ica, cai WRITE cai
    RANGE depth, kt, kd, cainf, taur
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
    (msM) = (ms mM)
}

CONSTANT {
    FARADAY = 96489 (coul)
}

PARAMETER {
    depth = 0.1 (um)
    taur = 5 (ms)
    cainf = 2e-4 (mM)
    kt = 0 (mM/ms)
    kd = 0 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    drive_channel (mM/ms)
}

STATE { cai (mM) }

INITIAL {
    cai = cainf
}

BREAKPOINT {
    SOLVE state METHOD derivimplicit
}

DERIVATIVE state {
    UNITSOFF
    drive_channel = -10000 * ica / (2 * FARADAY * depth)
    if (drive_channel <= 0) { drive_channel = 0 }
    cai' = drive_channel + (cainf - cai) / taur
    UNITSON
}
