COMMENT
A dual-exponential conductance synapse, written for dendrax's validation from
the published equations (Bernander et al. 1991; The NEURON Book, ch. 10):
    g = B - A,  i = g (v - e)       (uS, nA)
    dA/dt = -A / tau1,  dB/dt = -B / tau2
an event of weight w (uS) adds w*factor to A and B, where factor normalises a
lone event's peak to w: at tp = tau1 tau2 / (tau2 - tau1) ln(tau2 / tau1),
factor = 1 / (exp(-tp/tau2) - exp(-tp/tau1)). A rise time too close to the
decay time (ratio > 0.9999) is taken as 0.9999 tau2, one below 1e-9 tau2 as
1e-9 tau2.
ENDCOMMENT

NEURON {
    POINT_PROCESS DxExp2Syn
    RANGE tau1, tau2, e, i, g, factor
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau1 = 0.1 (ms) <1e-9, 1e9>
    tau2 = 10 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor (1)
    rise (ms)
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tp
    rise = tau1
    if (rise/tau2 > 0.9999) {
        rise = 0.9999*tau2
    }
    if (rise/tau2 < 1e-9) {
        rise = 1e-9*tau2
    }
    A = 0
    B = 0
    tp = (rise*tau2)/(tau2 - rise)*log(tau2/rise)
    factor = 1/(exp(-tp/tau2) - exp(-tp/rise))
}

BREAKPOINT {
    SOLVE rates METHOD cnexp
    g = B - A
    i = g*(v - e)
}

DERIVATIVE rates {
    A' = -A/rise
    B' = -B/tau2
}

NET_RECEIVE(weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}
