TITLE Ca_HVA: high-voltage-activated Ca2+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Reuveni, Friedman, Amitai & Gutnick 1993 (J Neurosci 13:4609), as used by Hay et al. 2011
(PLoS Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gCa_HVAbar * m^2 * h,   ica = g * (v - eca),   no temperature factor
  b = -27 - v:  am = 0.055 b/(exp(b/3.8) - 1),   bm = 0.94 exp((-75 - v)/17)
  ah = 4.57e-4 exp((-13 - v)/50),   bh = 0.0065/(exp((-v - 15)/28) + 1)
  x_inf = a/(a + b),  tau_x = 1/(a + b);   guard: v == -27 exactly -> v + 1e-4
ENDCOMMENT

NEURON {
    SUFFIX Ca_HVA
    USEION ca READ eca WRITE ica
    RANGE gCa_HVAbar, gCa_HVA, ica
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCa_HVAbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    gCa_HVA (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gCa_HVA = gCa_HVAbar * m * m * h
    ica = gCa_HVA * (v - eca)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m) / mTau
    h' = (hInf - h) / hTau
}

INITIAL {
    rates(v)
    m = mInf
    h = hInf
}

PROCEDURE rates(vin (mV)) {
    LOCAL u, b, am, bm, ah, bh
    UNITSOFF
    u = vin
    if (u == -27) { u = u + 0.0001 }
    b = -27 - u
    am = 0.055 * b / (exp(b / 3.8) - 1)
    bm = 0.94 * exp((-75 - u) / 17)
    mInf = am / (am + bm)
    mTau = 1 / (am + bm)
    ah = 4.57e-4 * exp((-13 - u) / 50)
    bh = 0.0065 / (exp((-u - 15) / 28) + 1)
    hInf = ah / (ah + bh)
    hTau = 1 / (ah + bh)
    UNITSON
}
