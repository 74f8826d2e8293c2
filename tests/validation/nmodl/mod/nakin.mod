TITLE nakin: Hodgkin-Huxley Na+ channel as an 8-state Markov scheme (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests. The Hodgkin & Huxley (1952) sodium conductance
m^3 h as the equivalent kinetic scheme (FitzHugh 1965): states m<i>h<j> with i open m gates
(0..3) and j open h gates (0..1); m gates open at am(v) each and close at bm(v) each, so
m<i> -> m<i+1> at (3-i) am and m<i+1> -> m<i> at (i+1) bm; h opens at ah, closes at bh.
Open state m3h1: ina = gnabar m3h1 (v - ena). Rates (1/ms, v in mV, 6.3 degC, q10 = 3):
  am = 0.1 (v+40)/(1 - exp(-(v+40)/10)),  bm = 4 exp(-(v+65)/18),
  ah = 0.07 exp(-(v+65)/20),              bh = 1/(1 + exp(-(v+35)/10)).
ENDCOMMENT

NEURON {
    SUFFIX nakin
    USEION na READ ena WRITE ina
    RANGE gnabar, ina
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.12 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    celsius (degC)
    am (/ms)
    bm (/ms)
    ah (/ms)
    bh (/ms)
}

STATE { m0h0 m1h0 m2h0 m3h0 m0h1 m1h1 m2h1 m3h1 }

BREAKPOINT {
    SOLVE kin METHOD sparse
    ina = gnabar * m3h1 * (v - ena)
}

INITIAL {
    SOLVE kin STEADYSTATE sparse
}

PROCEDURE rates(v (mV)) {
    LOCAL q10
    q10 = 3^((celsius - 6.3)/10)
    am = q10 * 0.1 * vtrap(-(v + 40), 10)
    bm = q10 * 4 * exp(-(v + 65)/18)
    ah = q10 * 0.07 * exp(-(v + 65)/20)
    bh = q10 / (1 + exp(-(v + 35)/10))
}

FUNCTION vtrap(x (mV), y (mV)) (mV) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y * (1 - x/y/2)
    } else {
        vtrap = x / (exp(x/y) - 1)
    }
}

KINETIC kin {
    rates(v)
    ~ m0h0 <-> m1h0 (3*am, bm)
    ~ m1h0 <-> m2h0 (2*am, 2*bm)
    ~ m2h0 <-> m3h0 (am, 3*bm)
    ~ m0h1 <-> m1h1 (3*am, bm)
    ~ m1h1 <-> m2h1 (2*am, 2*bm)
    ~ m2h1 <-> m3h1 (am, 3*bm)
    ~ m0h0 <-> m0h1 (ah, bh)
    ~ m1h0 <-> m1h1 (ah, bh)
    ~ m2h0 <-> m2h1 (ah, bh)
    ~ m3h0 <-> m3h1 (ah, bh)
    CONSERVE m0h0 + m1h0 + m2h0 + m3h0 + m0h1 + m1h1 + m2h1 + m3h1 = 1
}
