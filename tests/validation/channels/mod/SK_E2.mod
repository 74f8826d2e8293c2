TITLE SK_E2: small-conductance Ca2+-activated K+ current of the Hay et al. 2011 L5PC model

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
Sources: Koehler et al. 1996 (Science 273:1709), as used by Hay et al. 2011 (PLoS Comput Biol
7:e1002107); equations as written out in FORMAT_V2.md, section 8.

  g = gSK_E2bar * z,   ik = g * (v - ek)
  c = cai, or cai + 1e-7 if cai < 1e-7 mM;   z_inf = 1/(1 + (4.3e-4/c)^4.8);   tau_z = zTau (GLOBAL)
  z is updated after CaDynamics_E2 in NEURON's mechanism order, so it sees the new cai.
ENDCOMMENT

NEURON {
    SUFFIX SK_E2
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gSK_E2bar, gSK_E2, ik
    RANGE zInf
    GLOBAL zTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (molar) = (1/liter)
    (mM) = (millimolar)
}

PARAMETER {
    gSK_E2bar = 0.000001 (S/cm2)
    zTau = 1 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    cai (mM)
    ik (mA/cm2)
    gSK_E2 (S/cm2)
    zInf
}

STATE { z }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gSK_E2 = gSK_E2bar * z
    ik = gSK_E2 * (v - ek)
}

DERIVATIVE states {
    rates(cai)
    z' = (zInf - z) / zTau
}

INITIAL {
    rates(cai)
    z = zInf
}

PROCEDURE rates(ca (mM)) {
    LOCAL c
    UNITSOFF
    c = ca
    if (c < 1e-7) { c = c + 1e-7 }
    zInf = 1 / (1 + (0.00043 / c)^4.8)
    UNITSON
}
