TITLE SKv3_1: Kv3.1 (fast delayed rectifier) K+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Rettig et al. 1992 (EMBO J 11:2473) Kv3.1 kinetics, as used by Hay et al. 2011 (PLoS
Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gSKv3_1bar * m,   ik = g * (v - ek),   no temperature factor
  m_inf = 1/(1 + exp(-(v - 18.7)/9.7)),   tau_m = 4/(1 + exp(-(v + 46.56)/44.14))
ENDCOMMENT

NEURON {
    SUFFIX SKv3_1
    USEION k READ ek WRITE ik
    RANGE gSKv3_1bar, gSKv3_1, ik
    RANGE mInf, mTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gSKv3_1bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gSKv3_1 (S/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gSKv3_1 = gSKv3_1bar * m
    ik = gSKv3_1 * (v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m) / mTau
}

INITIAL {
    rates(v)
    m = mInf
}

PROCEDURE rates(vin (mV)) {
    UNITSOFF
    mInf = 1 / (1 + exp(-(vin - 18.7) / 9.7))
    mTau = 4 / (1 + exp(-(vin + 46.56) / 44.14))
    UNITSON
}
