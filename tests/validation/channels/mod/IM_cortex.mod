TITLE im: slow non-inactivating (M-type) K+ current for spike-frequency adaptation (Pospischil 2008)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
SUFFIX and RANGE names (taumax is RANGE) and the numerical conventions follow ModelDB 123623's
IM_cortex.mod (SUFFIX im), so that NEURON runs of the ModelDB cells are reproduced.
Sources: Yamada, Koch & Adams 1989 (Methods in Neuronal Modeling), in the form of Pospischil et
al. 2008 (Biol Cybern 99:427), section 2.2.2 (I_M = gM p (V - E_K)):

  ik = gkbar m (v - ek)
  m_inf = 1/(1 + E(-(v + 35)/10))
  tau_m = (taumax/tadj) / (3.3 E((v + 35)/20) + E(-(v + 35)/20)),   tadj = 2.3^((celsius - 36)/10)
  E(x) = exp(x) for -25 < x < 25, else 0 (ModelDB's exptable, here without its TABLE)

Initial state (as ModelDB): m = 0, not the steady state.
ENDCOMMENT

NEURON {
    SUFFIX im
    USEION k READ ek WRITE ik
    RANGE gkbar, m_inf, tau_m, taumax
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gkbar = 1e-6 (S/cm2)
    taumax = 1000 (ms)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    m_inf
    tau_m (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar * m * (v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (m_inf - m) / tau_m
}

INITIAL {
    m = 0
}

PROCEDURE rates(vin (mV)) {
    LOCAL tadj, tau_peak
    UNITSOFF
    tadj = 2.3^((celsius - 36) / 10)
    tau_peak = taumax / tadj
    m_inf = 1 / (1 + E(-(vin + 35) / 10))
    tau_m = tau_peak / (3.3 * E((vin + 35) / 20) + E(-(vin + 35) / 20))
    UNITSON
}

FUNCTION E(x) {
    if ((x > -25) && (x < 25)) {
        E = exp(x)
    } else {
        E = 0
    }
}
