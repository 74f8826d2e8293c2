TITLE cagk: high-voltage-activated Ca2+ current with a GHK driving force (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests (not a model of a particular cell). Exercises a
current that is not linear in v (NEURON's conductance is the 0.001 mV difference quotient),
a TABLE (the tests run NEURON with usetable = 0), FUNCTIONs with if/else, UNITS constants.

  ica = pbar m^2 ghk(v, cai, cao),   ghk = 1e-3 z F (ci efun(-u) - co efun(u)),
  u = 1e-3 z F v / (R T),  efun(u) = u/(exp(u) - 1) (1 - u/2 where |u| < 1e-4),  z = 2
  am = 0.1 vtrap(-(v + 20), 10),  bm = 0.4 exp(-(v + 45)/18),  qt = q10^((celsius - 22)/10)
  m_inf = am/(am + bm),  tau_m = 1/(qt (am + bm))
ENDCOMMENT

NEURON {
    SUFFIX cagk
    USEION ca READ cai, cao WRITE ica
    RANGE pbar, ica
    GLOBAL minf, mtau, q10
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (molar) = (1/liter)
    (mM) = (millimolar)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    pbar = 2e-4 (cm/s)
    q10 = 3
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    minf
    mtau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = pbar * m * m * ghk(v, cai, cao)
}

INITIAL {
    rates(v)
    m = minf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, qt
    TABLE minf, mtau DEPEND celsius, q10 FROM -120 TO 80 WITH 400
    UNITSOFF
    qt = q10^((celsius - 22) / 10)
    a = 0.1 * vtrap(-(v + 20), 10)
    b = 0.4 * exp(-(v + 45) / 18)
    minf = a / (a + b)
    mtau = 1 / (qt * (a + b))
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (exp(x / y) - 1)
    }
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (mA/cm2) {
    LOCAL u
    UNITSOFF
    u = (1e-3) * 2 * FARADAY * v / (R * (celsius + 273.15))
    ghk = (1e-3) * 2 * FARADAY * (ci * efun(-u) - co * efun(u))
    UNITSON
}

FUNCTION efun(u) {
    if (fabs(u) < 1e-4) {
        efun = 1 - u / 2
    } else {
        efun = u / (exp(u) - 1)
    }
}
