TITLE CaDynamics_E2: submembrane Ca2+ shell with first-order removal (Hay et al. 2011)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: shell model after Destexhe, Babloyantz & Sejnowski 1993 / Destexhe et al. 1994, as used
by Hay et al. 2011 (PLoS Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md,
sections 6-8.

  dcai/dt = -1e4 * gamma * ica / (2 F depth) - (cai - minCai)/decay      (mM/ms)
  ica: the compartment's total Ca current (mA/cm2) of the start of the step; depth in um,
  decay in ms, F = NEURON's faraday constant. cnexp gives the exact exponential with ica frozen.
  No INITIAL block: cai starts at the ion's cai0 (cai0_ca_ion), not at minCai.
ENDCOMMENT

NEURON {
    SUFFIX CaDynamics_E2
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, minCai
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulombs)
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
}

PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    minCai = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE { cai (mM) }

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    UNITSOFF
    cai' = -10000 * (ica * gamma / (2 * FARADAY * depth)) - (cai - minCai) / decay
    UNITSON
}
