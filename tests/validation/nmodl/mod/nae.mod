TITLE nae: Na+ current by METHOD euler, with two nonspecific currents (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests. Hodgkin & Huxley (1952) m and h gates integrated by
METHOD euler (x <- x + dt f(x), all states at once), a leak il and a piecewise-linear
nonspecific current ix from an if / else if / else chain.

  ina = gnabar m^3 h (v - ena),  il = gl (v - el),
  ix = gx v (v > 0), 0.5 gx v (-40 < v <= 0), 0 otherwise
ENDCOMMENT

NEURON {
    SUFFIX nae
    USEION na READ ena WRITE ina
    NONSPECIFIC_CURRENT il, ix
    RANGE gnabar, gl, el, gx
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gnabar = 0.12 (S/cm2)
    gl = 3e-4 (S/cm2)
    el = -54.3 (mV)
    gx = 1e-4 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    il (mA/cm2)
    ix (mA/cm2)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD euler
    ina = gnabar * m * m * m * h * (v - ena)
    il = gl * (v - el)
    if (v > 0) {
        ix = gx * v
    } else if (v > -40) {
        ix = 0.5 * gx * v
    } else {
        ix = 0
    }
}

INITIAL {
    m = am(v) / (am(v) + bm(v))
    h = ah(v) / (ah(v) + bh(v))
}

DERIVATIVE states {
    m' = am(v) * (1 - m) - bm(v) * m
    h' = ah(v) * (1 - h) - bh(v) * h
}

FUNCTION am(v (mV)) (/ms) {
    UNITSOFF
    if (fabs(v + 40) < 1e-6) {
        am = 1
    } else {
        am = 0.1 * (v + 40) / (1 - exp(-(v + 40) / 10))
    }
    UNITSON
}

FUNCTION bm(v (mV)) (/ms) { bm = 4 * exp(-(v + 65) / 18) }
FUNCTION ah(v (mV)) (/ms) { ah = 0.07 * exp(-(v + 65) / 20) }
FUNCTION bh(v (mV)) (/ms) { bh = 1 / (1 + exp(-(v + 35) / 10)) }
