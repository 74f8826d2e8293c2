TITLE K_Tst: transient (fast inactivating) K+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Korngreen & Sakmann 2000 (J Physiol 525:621), as used by Hay et al. 2011 (PLoS Comput
Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gK_Tstbar * m^4 * h,   ik = g * (v - ek),   qt = 2.3^((34-21)/10),   u = v + 10
  m_inf = 1/(1 + exp(-u/19)),          tau_m = (0.34 + 0.92 exp(-((u + 71)/59)^2))/qt
  h_inf = 1/(1 + exp((u + 66)/10)),    tau_h = (8 + 49 exp(-((u + 73)/23)^2))/qt
ENDCOMMENT

NEURON {
    SUFFIX K_Tst
    USEION k READ ek WRITE ik
    RANGE gK_Tstbar, gK_Tst, ik
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gK_Tstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gK_Tst (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gK_Tst = gK_Tstbar * m * m * m * m * h
    ik = gK_Tst * (v - ek)
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
    LOCAL qt, u, zm, zh
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    u = vin + 10
    mInf = 1 / (1 + exp(-u / 19))
    zm = (u + 71) / 59
    mTau = (0.34 + 0.92 * exp(-zm * zm)) / qt
    hInf = 1 / (1 + exp((u + 66) / 10))
    zh = (u + 73) / 23
    hTau = (8 + 49 * exp(-zh * zh)) / qt
    UNITSON
}
