TITLE NaTa_t: fast inactivating (transient) Na+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Colbert & Pan 2002 (Nat Neurosci 5:533), kinetics as used by Hay, Hill, Schuermann,
Markram & Segev 2011 (PLoS Comput Biol 7:e1002107); equations as written out in
neuroref-case/2 FORMAT_V2.md, section 8.

  g = gNaTa_tbar * m^3 * h,   ina = g * (v - ena)
  w = v + 38:  am = 0.182 w / (1 - exp(-w/6)),   bm = -0.124 w / (1 - exp(w/6))
  y = v + 66:  ah = -0.015 y / (1 - exp(y/6)),   bh =  0.015 y / (1 - exp(-y/6))
  x_inf = a/(a+b),  tau_x = 1/(qt (a+b)),  qt = 2.3^((34-21)/10)  (fixed, independent of celsius)
  guards: v == -38 exactly -> v + 1e-4 (tested first), then v == -66 exactly -> v + 1e-4
ENDCOMMENT

NEURON {
    SUFFIX NaTa_t
    USEION na READ ena WRITE ina
    RANGE gNaTa_tbar, gNaTa_t, ina
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTa_tbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNaTa_t (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gNaTa_t = gNaTa_tbar * m * m * m * h
    ina = gNaTa_t * (v - ena)
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
    LOCAL qt, u, w, y, am, bm, ah, bh
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    u = vin
    if (u == -38) { u = u + 0.0001 }
    w = u + 38
    am = 0.182 * w / (1 - exp(-w / 6))
    bm = -0.124 * w / (1 - exp(w / 6))
    mInf = am / (am + bm)
    mTau = 1 / (qt * (am + bm))
    if (u == -66) { u = u + 0.0001 }
    y = u + 66
    ah = -0.015 * y / (1 - exp(y / 6))
    bh = 0.015 * y / (1 - exp(-y / 6))
    hInf = ah / (ah + bh)
    hTau = 1 / (qt * (ah + bh))
    UNITSON
}
