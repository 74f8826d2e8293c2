TITLE NaTs2_t: somatic transient Na+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: NaTa_t (Colbert & Pan 2002, Nat Neurosci 5:533) with both curves shifted by +6 mV, as
used by Hay, Hill, Schuermann, Markram & Segev 2011 (PLoS Comput Biol 7:e1002107); equations
as written out in neuroref-case/2 FORMAT_V2.md, section 8.

  g = gNaTs2_tbar * m^3 * h,   ina = g * (v - ena)
  w = v + 32:  am = 0.182 w / (1 - exp(-w/6)),   bm = -0.124 w / (1 - exp(w/6))
  y = v + 60:  ah = -0.015 y / (1 - exp(y/6)),   bh =  0.015 y / (1 - exp(-y/6))
  x_inf = a/(a+b),  tau_x = 1/(qt (a+b)),  qt = 2.3^((34-21)/10)  (fixed, independent of celsius)
  guards: v == -32 exactly -> v + 1e-4 (tested first), then v == -60 exactly -> v + 1e-4
ENDCOMMENT

NEURON {
    SUFFIX NaTs2_t
    USEION na READ ena WRITE ina
    RANGE gNaTs2_tbar, gNaTs2_t, ina
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTs2_tbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNaTs2_t (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gNaTs2_t = gNaTs2_tbar * m * m * m * h
    ina = gNaTs2_t * (v - ena)
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
    if (u == -32) { u = u + 0.0001 }
    w = u + 32
    am = 0.182 * w / (1 - exp(-w / 6))
    bm = -0.124 * w / (1 - exp(w / 6))
    mInf = am / (am + bm)
    mTau = 1 / (qt * (am + bm))
    if (u == -60) { u = u + 0.0001 }
    y = u + 60
    ah = -0.015 * y / (1 - exp(y / 6))
    bh = 0.015 * y / (1 - exp(-y / 6))
    hInf = ah / (ah + bh)
    hTau = 1 / (qt * (ah + bh))
    UNITSON
}
