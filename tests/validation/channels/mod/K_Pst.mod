TITLE K_Pst: persistent K+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Korngreen & Sakmann 2000 (J Physiol 525:621), as used by Hay et al. 2011 (PLoS Comput
Biol 7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gK_Pstbar * m^2 * h,   ik = g * (v - ek),   qt = 2.3^((34-21)/10),   u = v + 10
  m_inf = 1/(1 + exp(-(u + 1)/12))
  tau_m = (1.25 + 175.03 exp(0.026 u))/qt  if u < -50,  else (1.25 + 13 exp(-0.026 u))/qt
  h_inf = 1/(1 + exp((u + 54)/11))
  tau_h = (360 + (1010 + 24 (u + 55)) exp(-((u + 75)/48)^2))/qt
ENDCOMMENT

NEURON {
    SUFFIX K_Pst
    USEION k READ ek WRITE ik
    RANGE gK_Pstbar, gK_Pst, ik
    RANGE mInf, mTau, hInf, hTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gK_Pstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gK_Pst (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gK_Pst = gK_Pstbar * m * m * h
    ik = gK_Pst * (v - ek)
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
    LOCAL qt, u, z
    UNITSOFF
    qt = 2.3^((34 - 21) / 10)
    u = vin + 10
    mInf = 1 / (1 + exp(-(u + 1) / 12))
    if (u < -50) {
        mTau = (1.25 + 175.03 * exp(0.026 * u)) / qt
    } else {
        mTau = (1.25 + 13 * exp(-0.026 * u)) / qt
    }
    hInf = 1 / (1 + exp((u + 54) / 11))
    z = (u + 75) / 48
    hTau = (360 + (1010 + 24 * (u + 55)) * exp(-z * z)) / qt
    UNITSON
}
