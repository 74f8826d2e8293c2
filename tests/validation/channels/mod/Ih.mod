TITLE Ih: hyperpolarization-activated cation (HCN) current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Kole, Hallermann & Stuart 2006 (J Neurosci 26:1677), as used by Hay et al. 2011 (PLoS
Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gIhbar * m,   ihcn = g * (v - ehcn)  (nonspecific; ehcn is a GLOBAL, -45 mV)
  a = v + 154.9:  am = 6.43e-3 a/(exp(a/11.9) - 1),   bm = 0.193 exp(v/33.1)
  m_inf = am/(am + bm),  tau_m = 1/(am + bm)   (no temperature factor)
  guard: v == -154.9 exactly -> v + 1e-4
ENDCOMMENT

NEURON {
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gIhbar, gIh, ihcn
    RANGE mInf, mTau
    GLOBAL ehcn
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gIhbar = 0.00001 (S/cm2)
    ehcn = -45.0 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    gIh (S/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gIh = gIhbar * m
    ihcn = gIh * (v - ehcn)
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
    LOCAL u, a, am, bm
    UNITSOFF
    u = vin
    if (u == -154.9) { u = u + 0.0001 }
    a = u + 154.9
    am = 6.43e-3 * a / (exp(a / 11.9) - 1)
    bm = 0.193 * exp(u / 33.1)
    mInf = am / (am + bm)
    mTau = 1 / (am + bm)
    UNITSON
}
