TITLE Nap_Et2: persistent Na+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Magistretti & Alonso 1999 (J Gen Physiol 114:491), as used by Hay et al. 2011 (PLoS
Comput Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gNap_Et2bar * m^3 * h,   ina = g * (v - ena),   qt = 2.3^((34-21)/10)
  m_inf = 1/(1 + exp(-(v + 52.6)/4.6))                      (computed before any guard)
  guard v == -38 -> v + 1e-4; w = v + 38, am, bm as NaTa_t;   tau_m = 6/(qt (am + bm))
  guards v == -17, then v == -64.4 -> v + 1e-4
  h_inf = 1/(1 + exp((v + 48.8)/10))
  ah = 2.88e-6 (v + 17)/(exp((v + 17)/4.63) - 1),  bh = 6.94e-6 (v + 64.4)/(1 - exp(-(v + 64.4)/2.63))
  tau_h = 1/(qt (ah + bh))
ENDCOMMENT

NEURON {
    SUFFIX Nap_Et2
    USEION na READ ena WRITE ina
    RANGE gNap_Et2bar, gNap_Et2, ina
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNap_Et2bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNap_Et2 (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gNap_Et2 = gNap_Et2bar * m * m * m * h
    ina = gNap_Et2 * (v - ena)
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
    LOCAL qt, u, w, am, bm, ah, bh
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    u = vin
    mInf = 1 / (1 + exp(-(u + 52.6) / 4.6))
    if (u == -38) { u = u + 0.0001 }
    w = u + 38
    am = 0.182 * w / (1 - exp(-w / 6))
    bm = -0.124 * w / (1 - exp(w / 6))
    mTau = 6 / (qt * (am + bm))
    if (u == -17) { u = u + 0.0001 }
    if (u == -64.4) { u = u + 0.0001 }
    hInf = 1 / (1 + exp((u + 48.8) / 10))
    ah = 2.88e-6 * (u + 17) / (exp((u + 17) / 4.63) - 1)
    bh = 6.94e-6 * (u + 64.4) / (1 - exp(-(u + 64.4) / 2.63))
    hTau = 1 / (qt * (ah + bh))
    UNITSON
}
