TITLE ical: high-threshold (L-type) Ca2+ current (Pospischil et al. 2008)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
SUFFIX, RANGE and GLOBAL names and the numerical conventions follow ModelDB 123623's
IL_gutnick.mod (SUFFIX ical), so that NEURON runs of the ModelDB cells are reproduced.
Sources: Reuveni, Friedman, Amitai & Gutnick 1993 (J Neurosci 13:4609), in the form of Pospischil
et al. 2008 (Biol Cybern 99:427), section 2.2.3 (I_L = gL q^2 r (V - E_Ca)):

  ica = gcabar m^2 h (v - carev)     (rates for 36 degC, no temperature factor)
  carev = 1e3 R (celsius + 273.15)/(2 F) ln(cao/cai) with the mechanism's OWN constants
          cai = 2.4e-4 mM, cao = 2 mM (GLOBALs cai_ical, cao_ical; 120.26 mV at 36 degC):
          the ion's eca is read (USEION ca READ eca) but not used, and a Ca pool changes nothing
  am = 0.055 (-27 - v)/(exp((-27 - v)/3.8) - 1),   bm = 0.94 exp((-75 - v)/17)
  ah = 4.57e-4 exp((-13 - v)/50),                  bh = 0.0065/(exp((-15 - v)/28) + 1)
  m' = am (1 - m) - bm m,   h' = ah (1 - h) - bh h     (METHOD cnexp)
  where |(-27 - v)/3.8| < 1e-6, am is the limit 0.055 * 3.8 (1 - x/3.8/2), x = -27 - v
  (ModelDB's file has no guard and gives 0/0 at v = -27 exactly)

Initial state (as ModelDB): m = h = 0, not the steady state.
ENDCOMMENT

NEURON {
    SUFFIX ical
    USEION ca READ eca WRITE ica
    RANGE gcabar, alpha_m, beta_m, alpha_h, beta_h, carev
    GLOBAL cai, cao
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (molar) = (1/liter)
    (mM) = (millimolar)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    gcabar = 1e-4 (S/cm2)
    cai = 2.4e-4 (mM)
    cao = 2 (mM)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    eca (mV)
    ica (mA/cm2)
    carev (mV)
    alpha_m (/ms)
    beta_m (/ms)
    alpha_h (/ms)
    beta_h (/ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    carev = (1e3) * (R * (celsius + 273.15)) / (2 * FARADAY) * log(cao / cai)
    ica = gcabar * m * m * h * (v - carev)
}

DERIVATIVE states {
    rates(v)
    m' = alpha_m * (1 - m) - beta_m * m
    h' = alpha_h * (1 - h) - beta_h * h
}

INITIAL {
    m = 0
    h = 0
}

PROCEDURE rates(vin (mV)) {
    LOCAL x
    UNITSOFF
    x = -27 - vin
    if (fabs(x / 3.8) < 1e-6) {
        alpha_m = 0.055 * 3.8 * (1 - x / 3.8 / 2)
    } else {
        alpha_m = 0.055 * x / (exp(x / 3.8) - 1)
    }
    beta_m = 0.94 * exp((-75 - vin) / 17)
    alpha_h = 0.000457 * exp((-13 - vin) / 50)
    beta_h = 0.0065 / (exp((-15 - vin) / 28) + 1)
    UNITSON
}
