TITLE capump: submembrane Ca2+ with a saturating pump (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests. A nonlinear equation solved by METHOD derivimplicit
(NEURON's Newton iteration):

  cai' = -1e4 ica/(2 F depth) - vmax cai/(cai + km) + (cainf - cai)/taur      (mM/ms)
ENDCOMMENT

NEURON {
    SUFFIX capump
    USEION ca READ ica, cai WRITE cai
    RANGE depth, taur, cainf, vmax, km
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.5 (um)
    taur = 50 (ms)
    cainf = 1e-4 (mM)
    vmax = 2e-4 (mM/ms)
    km = 5e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    drive (mM/ms)
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
    drive = -10000 * ica / (2 * FARADAY * depth)
    cai' = drive - vmax * cai / (cai + km) + (cainf - cai) / taur
    UNITSON
}
