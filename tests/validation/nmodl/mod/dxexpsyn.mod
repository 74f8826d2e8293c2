COMMENT
A conductance synapse with a single exponential decay, written for dendrax's
validation from the textbook equations (Destexhe, Mainen & Sejnowski 1994; The
NEURON Book, ch. 10):
    i = g (v - e)          (nA, outward positive)
    dg/dt = -g / tau       (g in uS, tau in ms)
an event of weight w (uS) makes g jump by w.
ENDCOMMENT

NEURON {
    POINT_PROCESS DxExpSyn
    RANGE tau, e, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 0.1 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE decay {
    g' = -g/tau
}

NET_RECEIVE(weight (uS)) {
    g = g + weight
}
