TITLE it: low-threshold (T-type) Ca2+ current (Pospischil et al. 2008)

COMMENT
Written for dendrax's validation suite from the published equations (not a copy of any mod file).
SUFFIX, RANGE and GLOBAL names and the numerical conventions follow ModelDB 123623's
IT_huguenard.mod (SUFFIX it), so that NEURON runs of the ModelDB cells are reproduced.
Sources: Huguenard & McCormick 1992 (J Neurophysiol 68:1373), Destexhe et al. 1998, in the form
of Pospischil et al. 2008 (Biol Cybern 99:427), section 2.2.3 (I_T = gT s_inf^2 u (V - E_Ca)):

  ica = gcabar m_inf^2 h (v - carev),   Vm = v + shift   (shift = the paper's Vx)
  carev = 1e3 R (celsius + 273.15)/(2 F) ln(cao/cai) from the ion's cai, cao (READ cai, cao)
  m_inf = 1/(1 + exp(-(Vm + 57)/6.2))                   (instantaneous activation)
  h_inf = 1/(1 + exp((Vm + 81)/4))
  tau_h = (30.8 + (211.4 + exp((Vm + 113.2)/5))/(1 + exp((Vm + 84)/3.2))) / phi_h
  phi_h = q10^((celsius - 24)/10)   (q10 GLOBAL, 3: phi_h = 3.74 at 36 degC; the paper: 3.7)

m_inf is computed with h in the state update (at the new voltage), so the current of the next
step uses m_inf of the voltage at its start, held fixed during the step (the current is ohmic).
Initial state (as ModelDB): h = 0 and m_inf = 0 (ModelDB's INITIAL does not compute m_inf,
which is 0 in a fresh section), so the current at t = 0 is 0.
ENDCOMMENT

NEURON {
    SUFFIX it
    USEION ca READ cai, cao WRITE ica
    GLOBAL q10
    RANGE gcabar, m_inf, tau_m, h_inf, tau_h, shift, carev
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
    gcabar = 0.002 (S/cm2)
    q10 = 3
    shift = 2 (mV)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    carev (mV)
    m_inf
    tau_m (ms)
    h_inf
    tau_h (ms)
}

STATE { h }

BREAKPOINT {
    SOLVE castate METHOD cnexp
    carev = (1e3) * (R * (celsius + 273.15)) / (2 * FARADAY) * log(cao / cai)
    ica = gcabar * m_inf * m_inf * h * (v - carev)
}

DERIVATIVE castate {
    rates(v)
    h' = (h_inf - h) / tau_h
}

INITIAL {
    h = 0
    m_inf = 0
}

PROCEDURE rates(vin (mV)) {
    LOCAL phi_h, vm
    UNITSOFF
    phi_h = q10^((celsius - 24) / 10)
    vm = vin + shift
    m_inf = 1 / (1 + exp(-(vm + 57) / 6.2))
    h_inf = 1 / (1 + exp((vm + 81) / 4))
    tau_h = (30.8 + (211.4 + exp((vm + 113.2) / 5)) / (1 + exp((vm + 84) / 3.2))) / phi_h
    UNITSON
}
