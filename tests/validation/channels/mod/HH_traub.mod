TITLE hh2: Traub-Miles fast Na+ and delayed-rectifier K+ currents (Pospischil et al. 2008)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
SUFFIX and RANGE names and the numerical conventions (initial state, Exp cut-off, temperature
factor) follow ModelDB 123623's HH_traub.mod (SUFFIX hh2), so that NEURON runs of the ModelDB
cells are reproduced.
Sources: Traub & Miles 1991 (Neuronal Networks of the Hippocampus), in the form of Pospischil,
Toledo-Rodriguez, Monier, Piwkowska, Bal, Fregnac, Markram & Destexhe 2008 (Biol Cybern 99:427),
section 2.2.1, I_Na and I_Kd with VT = vtraub:

  ina = gnabar m^3 h (v - ena),   ik = gkbar n^4 (v - ek),   v2 = v - vtraub
  am = 0.32 vtrap(13 - v2, 4),    bm = 0.28 vtrap(v2 - 40, 5)
  ah = 0.128 Exp((17 - v2)/18),   bh = 4/(1 + Exp((40 - v2)/5))
  an = 0.032 vtrap(15 - v2, 5),   bn = 0.5 Exp((10 - v2)/40)
  vtrap(x, y) = x/(Exp(x/y) - 1), or y (1 - x/y/2) when |x/y| < 1e-6;  Exp(x) = 0 for x < -100
  x_inf = a/(a + b),   tau_x = 1/(a + b)/tadj,   tadj = 3^((celsius - 36)/10)
  (the paper has no temperature factor: tadj = 1 at 36 degC, the temperature of its cells)

Initial state (as ModelDB): m = h = n = 0, i.e. closed channels, not the steady state.
Integration: METHOD cnexp, x <- x + (1 - exp(-dt/tau_x)) (x_inf - x) at the new voltage, which is
the update ModelDB's file writes out by hand.
ENDCOMMENT

NEURON {
    SUFFIX hh2
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    RANGE gnabar, gkbar, vtraub
    RANGE m_inf, h_inf, n_inf
    RANGE tau_m, tau_h, tau_n
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gnabar = 0.003 (S/cm2)
    gkbar = 0.005 (S/cm2)
    vtraub = -63 (mV)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ek (mV)
    ina (mA/cm2)
    ik (mA/cm2)
    m_inf
    h_inf
    n_inf
    tau_m (ms)
    tau_h (ms)
    tau_n (ms)
}

STATE { m h n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gnabar * m * m * m * h * (v - ena)
    ik = gkbar * n * n * n * n * (v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (m_inf - m) / tau_m
    h' = (h_inf - h) / tau_h
    n' = (n_inf - n) / tau_n
}

INITIAL {
    m = 0
    h = 0
    n = 0
}

PROCEDURE rates(vin (mV)) {
    LOCAL tadj, v2, a, b
    UNITSOFF
    tadj = 3.0^((celsius - 36) / 10)
    v2 = vin - vtraub
    a = 0.32 * vtrap(13 - v2, 4)
    b = 0.28 * vtrap(v2 - 40, 5)
    m_inf = a / (a + b)
    tau_m = 1 / (a + b) / tadj
    a = 0.128 * Exp((17 - v2) / 18)
    b = 4 / (1 + Exp((40 - v2) / 5))
    h_inf = a / (a + b)
    tau_h = 1 / (a + b) / tadj
    a = 0.032 * vtrap(15 - v2, 5)
    b = 0.5 * Exp((10 - v2) / 40)
    n_inf = a / (a + b)
    tau_n = 1 / (a + b) / tadj
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (Exp(x / y) - 1)
    }
}

FUNCTION Exp(x) {
    if (x < -100) {
        Exp = 0
    } else {
        Exp = exp(x)
    }
}
