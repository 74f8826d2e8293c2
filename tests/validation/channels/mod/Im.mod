TITLE Im: muscarinic (M-type) K+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Adams, Brown & Constanti 1982 (J Physiol 330:537), as used by Hay et al. 2011 (PLoS
Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gImbar * m,   ik = g * (v - ek),   qt = 2.3^((34-21)/10)
  am = 3.3e-3 exp(0.1 (v + 35)),   bm = 3.3e-3 exp(-0.1 (v + 35))
  m_inf = am/(am + bm),   tau_m = 1/(qt (am + bm))
ENDCOMMENT

NEURON {
    SUFFIX Im
    USEION k READ ek WRITE ik
    RANGE gImbar, gIm, ik
    RANGE mInf, mTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gImbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gIm (S/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gIm = gImbar * m
    ik = gIm * (v - ek)
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
    LOCAL qt, am, bm
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    am = 3.3e-3 * exp(0.1 * (vin + 35))
    bm = 3.3e-3 * exp(-0.1 * (vin + 35))
    mInf = am / (am + bm)
    mTau = 1 / (qt * (am + bm))
    UNITSON
}
