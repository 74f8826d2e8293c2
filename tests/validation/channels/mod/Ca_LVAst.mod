TITLE Ca_LVAst: low-voltage-activated (T-type) Ca2+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Avery & Johnston 1996 (J Neurosci 16:5567), as used by Hay et al. 2011 (PLoS Comput
Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gCa_LVAstbar * m^2 * h,   ica = g * (v - eca),   qt = 2.3^((34-21)/10),   u = v + 10
  m_inf = 1/(1 + exp(-(u + 30)/6)),     tau_m = (5 + 20/(1 + exp((u + 25)/5)))/qt
  h_inf = 1/(1 + exp((u + 80)/6.4)),    tau_h = (20 + 50/(1 + exp((u + 40)/7)))/qt
ENDCOMMENT

NEURON {
    SUFFIX Ca_LVAst
    USEION ca READ eca WRITE ica
    RANGE gCa_LVAstbar, gCa_LVAst, ica
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCa_LVAstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    gCa_LVAst (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gCa_LVAst = gCa_LVAstbar * m * m * h
    ica = gCa_LVAst * (v - eca)
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
    LOCAL qt, u
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    u = vin + 10
    mInf = 1 / (1 + exp(-(u + 30) / 6))
    mTau = (5 + 20 / (1 + exp((u + 25) / 5))) / qt
    hInf = 1 / (1 + exp((u + 80) / 6.4))
    hTau = (20 + 50 / (1 + exp((u + 40) / 7))) / qt
    UNITSON
}
