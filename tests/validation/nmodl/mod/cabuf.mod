TITLE cabuf: calcium shell with a buffer and first-order extrusion (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests. A submembrane shell of depth d (um) with free
calcium cai, free buffer B and bound buffer CaB (mM). Influx from the calcium current,
binding to the buffer by mass action, extrusion towards cainf with time constant taur:
  d cai/dt = -ica/(2 F d) - kon cai B + koff CaB + (cainf - cai)/taur
  d B/dt = -kon cai B + koff CaB,  d CaB/dt = kon cai B - koff CaB,  B + CaB = Btot
(a standard buffered-shell scheme, e.g. De Schutter & Smolen 1998). In the kinetic scheme,
COMPARTMENT depth makes the fluxes per membrane area (mM um/ms), the influx
-ica 1e4/(2 F) with ica in mA/cm2.
ENDCOMMENT

NEURON {
    SUFFIX cabuf
    USEION ca READ ica WRITE cai
    RANGE depth, Btot, kon, koff, taur, cainf
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.2 (um)
    Btot = 0.05 (mM)
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    taur = 20 (ms)
    cainf = 5e-5 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE {
    cai (mM)
    B (mM)
    CaB (mM)
}

BREAKPOINT {
    SOLVE state METHOD sparse
}

INITIAL {
    cai = cainf
    B = Btot * koff / (koff + kon * cai)
    CaB = Btot - B
}

KINETIC state {
    COMPARTMENT depth {cai B CaB}
    ~ cai << (-ica * (1e4) / (2 * FARADAY))
    ~ cai + B <-> CaB (kon * depth, koff * depth)
    ~ cai << ((cainf - cai) * depth / taur)
    CONSERVE B + CaB = Btot * depth
}
