TITLE kdrold: delayed-rectifier K+ current written in the older explicit style (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests, in the style of NEURON files before cnexp: the
state update is a PROCEDURE (SOLVE states, no METHOD) that writes the exponential step out,
with a factor computed from dt by rates(), which INITIAL also calls; a trailing VERBATIM
"return 0;"; GLOBAL ASSIGNED rates. Kinetics: Hodgkin & Huxley (1952) n gate.

  ik = gkbar n^4 (v - ek),  an = 0.01 vtrap(-(v + 55), 10),  bn = 0.125 exp(-(v + 65)/80)
  n <- n + (1 - exp(-dt/tau_n)) (n_inf - n)
ENDCOMMENT

NEURON {
    SUFFIX kdrold
    USEION k READ ek WRITE ik
    RANGE gkbar, ik
    GLOBAL ninf, ntau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gkbar = 0.036 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    ninf
    ntau (ms)
    nexp
}

STATE { n }

BREAKPOINT {
    SOLVE states
    ik = gkbar * n^4 * (v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

PROCEDURE states() {
    rates(v)
    n = n + nexp * (ninf - n)
    VERBATIM
    return 0;
    ENDVERBATIM
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.01 * vtrap(-(v + 55), 10)
    b = 0.125 * exp(-(v + 65) / 80)
    ninf = a / (a + b)
    ntau = 1 / (a + b)
    nexp = 1 - exp(-dt / ntau)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (exp(x / y) - 1)
    }
}
