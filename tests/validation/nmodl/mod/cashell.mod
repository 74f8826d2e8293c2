TITLE cashell: radial calcium diffusion in shells with a buffer (dendrax NMODL tests)

COMMENT
Written for dendrax's NMODL import tests. Calcium in NANN concentric shells of thickness dr
under the membrane of a cylinder of radius rad (the shell model of Carnevale & Hines, The
NEURON Book, ch. 9, with the geometry as parameters): per unit membrane area, shell i holds
the volume vrat[i] = (r_i^2 - r_(i+1)^2)/(2 rad) (um, r_i = rad - i dr); neighbours exchange
calcium by diffusion through the area ratio frat[i] = r_i/rad over the distance dr:
  vrat[i] d ca[i]/dt = DCa frat[i+1]/dr (ca[i+1] - ca[i]) + DCa frat[i]/dr (ca[i-1] - ca[i])
                       - kon vrat[i] ca[i] B[i] + koff vrat[i] CaB[i]
plus, in the outer shell, the influx -ica 1e4/(2 F) and extrusion vrat[0] (cainf - ca[0])/taur.
The buffer binds by mass action in every shell. cai is the outer shell's concentration.
ENDCOMMENT

NEURON {
    SUFFIX cashell
    USEION ca READ ica WRITE cai
    RANGE rad, dr, DCa, kon, koff, Btot, taur, cainf
}

DEFINE NANN 4

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    rad = 5 (um)
    dr = 0.5 (um)
    DCa = 0.6 (um2/ms)
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    Btot = 0.03 (mM)
    taur = 50 (ms)
    cainf = 5e-5 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    cai (mM)
    vrat[NANN] (um)
    frat[NANN] (1)
}

STATE {
    ca[NANN] (mM)
    B[NANN] (mM)
    CaB[NANN] (mM)
}

BREAKPOINT {
    SOLVE state METHOD sparse
}

PROCEDURE factors() {
    LOCAL r[NANN]
    FROM i = 0 TO NANN - 1 {
        r[i] = rad - i * dr
    }
    FROM i = 0 TO NANN - 1 {
        frat[i] = r[i] / rad
        if (i < NANN - 1) {
            vrat[i] = (r[i] * r[i] - r[i + 1] * r[i + 1]) / (2 * rad)
        } else {
            vrat[i] = r[i] * r[i] / (2 * rad)
        }
    }
}

INITIAL {
    factors()
    FROM i = 0 TO NANN - 1 {
        ca[i] = cainf
        B[i] = Btot * koff / (koff + kon * cainf)
        CaB[i] = Btot - B[i]
    }
    cai = ca[0]
}

KINETIC state {
    COMPARTMENT i, vrat[i] {ca B CaB}
    ~ ca[0] << (-ica * (1e4) / (2 * FARADAY))
    ~ ca[0] << ((cainf - ca[0]) * vrat[0] / taur)
    FROM i = 0 TO NANN - 2 {
        ~ ca[i] <-> ca[i + 1] (DCa * frat[i + 1] / dr, DCa * frat[i + 1] / dr)
    }
    FROM i = 0 TO NANN - 1 {
        ~ ca[i] + B[i] <-> CaB[i] (kon * vrat[i], koff * vrat[i])
    }
    cai = ca[0]
}
