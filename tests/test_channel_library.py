"""The channel library: the Hay et al. (2011) set and the Pospischil et al. (2008) set.

Every rate function is checked against an independent numpy transcription of
``../shared/reference/FORMAT_V2.md`` section 8 (Hay) or of the paper's equations in the
conventions of the ModelDB 123623 mod files (Pospischil), written below without the package
code. Then: the equality guards, K_Pst's branch, CaDynamics_E2 and cad against closed forms,
SK_E2's z∞, float32 values and gradients over -120..60 mV, jit/vmap, and the registry.

Speed: every rate test evaluates one voltage array ``V_ALL`` (one array shape keeps JAX's
per-primitive compilations few), the float32 test is one jitted function over all channels.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
import dendrax.mechanisms as dm
from dendrax.mechanisms import DEFAULT_REGISTRY, NONSPECIFIC, hay, pospischil
from dendrax.mechanisms.channels.hay._common import QT as PKG_QT

QT = 2.3**1.3
F = 96485.33212331001
R = 8.31446261815324
V_TEST = np.array(
    [-120.0, -95.3, -80.0, -66.6, -61.0, -55.5, -40.2, -25.0, -10.0, 0.0, 12.3, 35.0, 60.0]
)
SING = np.array([-154.9, -66.0, -64.4, -60.0, -38.0, -32.0, -27.0, -17.0])  # Hay's guards
KM_PEAK = -35.0 - 10 * np.log(3.3)  # where IM_cortex.mod's tau peaks
EXTRA = np.array([-60.0 - 1e-9, -60.0 + 1e-9, -42.0, -15.0, -40.0, KM_PEAK, 300.0])
V_ALL = np.concatenate([V_TEST, SING, SING + 1e-4, EXTRA])
N = V_ALL.size
ION_VALUES = {"ena": 50.0, "ek": -85.0, "eca": 120.0, "cai": 2e-4, "cao": 2.0, "ica": -2e-3}


def at(v0):
    """Index of the voltage ``v0`` in ``V_ALL``."""
    return int(np.flatnonzero(V_ALL == v0)[0])


def params_of(mech, dtype=jnp.float64, n=N, **over):
    """The mechanism's parameters plus the ion variables it reads, arrays of ``dtype``."""
    values = {**mech.values, **{k: ION_VALUES[k] for k in type(mech).ion_reads}, **over}
    return {k: jnp.full((n,), v, dtype) for k, v in values.items()}


@functools.cache
def gates_at(name, celsius=34.0, **over):
    """``{state: (inf, tau)}`` as numpy arrays at ``V_ALL`` (default parameters)."""
    mech = DEFAULT_REGISTRY[name](**over)
    g = mech.gates(jnp.asarray(V_ALL), params_of(mech), celsius)
    return {s: (np.asarray(a), np.asarray(b)) for s, (a, b) in g.items()}


def all_classes():
    return [*hay.MECHANISMS, *pospischil.MECHANISMS]


# --- independent numpy references (FORMAT_V2 section 8) ------------------------------------


def shift_if(v, s):
    return np.where(v == s, v + 1e-4, v)


def ref_nata(v, shift=0.0):
    v = shift_if(v, -38.0 + shift)
    w = v + 38.0 - shift
    am = 0.182 * w / (1 - np.exp(-w / 6))
    bm = -0.124 * w / (1 - np.exp(w / 6))
    v = shift_if(v, -66.0 + shift)
    y = v + 66.0 - shift
    ah = -0.015 * y / (1 - np.exp(y / 6))
    bh = 0.015 * y / (1 - np.exp(-y / 6))
    return {
        "m": (am / (am + bm), 1 / (QT * (am + bm))),
        "h": (ah / (ah + bh), 1 / (QT * (ah + bh))),
    }


def ref_nap(v):
    m_inf = 1 / (1 + np.exp(-(v + 52.6) / 4.6))
    v = shift_if(v, -38.0)
    w = v + 38
    am = 0.182 * w / (1 - np.exp(-w / 6))
    bm = -0.124 * w / (1 - np.exp(w / 6))
    v = shift_if(shift_if(v, -17.0), -64.4)
    ah = 2.88e-6 * (v + 17) / (np.exp((v + 17) / 4.63) - 1)
    bh = 6.94e-6 * (v + 64.4) / (1 - np.exp(-(v + 64.4) / 2.63))
    return {
        "m": (m_inf, 6 / (QT * (am + bm))),
        "h": (1 / (1 + np.exp((v + 48.8) / 10)), 1 / (QT * (ah + bh))),
    }


def ref_kpst(v):
    u = v + 10
    tau_m = np.where(
        u < -50, (1.25 + 175.03 * np.exp(0.026 * u)) / QT, (1.25 + 13 * np.exp(-0.026 * u)) / QT
    )
    tau_h = (360 + (1010 + 24 * (u + 55)) * np.exp(-(((u + 75) / 48) ** 2))) / QT
    return {
        "m": (1 / (1 + np.exp(-(u + 1) / 12)), tau_m),
        "h": (1 / (1 + np.exp((u + 54) / 11)), tau_h),
    }


def ref_ktst(v):
    u = v + 10
    return {
        "m": (1 / (1 + np.exp(-u / 19)), (0.34 + 0.92 * np.exp(-(((u + 71) / 59) ** 2))) / QT),
        "h": (1 / (1 + np.exp((u + 66) / 10)), (8 + 49 * np.exp(-(((u + 73) / 23) ** 2))) / QT),
    }


def ref_skv31(v):
    return {"m": (1 / (1 + np.exp(-(v - 18.7) / 9.7)), 4 / (1 + np.exp(-(v + 46.56) / 44.14)))}


def ref_ih(v):
    v = shift_if(v, -154.9)
    a = v + 154.9
    am = 6.43e-3 * a / (np.exp(a / 11.9) - 1)
    bm = 0.193 * np.exp(v / 33.1)
    return {"m": (am / (am + bm), 1 / (am + bm))}


def ref_im(v):
    am = 3.3e-3 * np.exp(0.1 * (v + 35))
    bm = 3.3e-3 * np.exp(-0.1 * (v + 35))
    return {"m": (am / (am + bm), 1 / (QT * (am + bm)))}


def ref_cahva(v):
    v = shift_if(v, -27.0)
    b = -27 - v
    am = 0.055 * b / (np.exp(b / 3.8) - 1)
    bm = 0.94 * np.exp((-75 - v) / 17)
    ah = 4.57e-4 * np.exp((-13 - v) / 50)
    bh = 0.0065 / (np.exp((-v - 15) / 28) + 1)
    return {"m": (am / (am + bm), 1 / (am + bm)), "h": (ah / (ah + bh), 1 / (ah + bh))}


def ref_calvast(v):
    u = v + 10
    return {
        "m": (1 / (1 + np.exp(-(u + 30) / 6)), (5 + 20 / (1 + np.exp((u + 25) / 5))) / QT),
        "h": (1 / (1 + np.exp((u + 80) / 6.4)), (20 + 50 / (1 + np.exp((u + 40) / 7))) / QT),
    }


HAY_GATES = {
    "NaTa_t": ref_nata,
    "NaTs2_t": lambda v: ref_nata(v, 6.0),
    "Nap_Et2": ref_nap,
    "K_Pst": ref_kpst,
    "K_Tst": ref_ktst,
    "SKv3_1": ref_skv31,
    "Ih": ref_ih,
    "Im": ref_im,
    "Ca_HVA": ref_cahva,
    "Ca_LVAst": ref_calvast,
}

# exponent of m, whether h enters, ion species and reversal potential of each gated Hay channel
HAY_CURRENT = {
    "NaTa_t": (3, True, "na", "ena"),
    "NaTs2_t": (3, True, "na", "ena"),
    "Nap_Et2": (3, True, "na", "ena"),
    "K_Pst": (2, True, "k", "ek"),
    "K_Tst": (4, True, "k", "ek"),
    "SKv3_1": (1, False, "k", "ek"),
    "Ih": (1, False, NONSPECIFIC, "ehcn"),
    "Im": (1, False, "k", "ek"),
    "Ca_HVA": (2, True, "ca", "eca"),
    "Ca_LVAst": (2, True, "ca", "eca"),
}


# --- Hay: rates against FORMAT_V2 -------------------------------------------------------


def test_hay_steady_states_and_time_constants():
    with np.errstate(all="ignore"):
        for name, ref in HAY_GATES.items():
            got, want = gates_at(name), ref(V_ALL)
            assert set(got) == set(want) == set(DEFAULT_REGISTRY[name].states), name
            for s in got:
                for k in (0, 1):
                    np.testing.assert_allclose(got[s][k], want[s][k], rtol=1e-12, err_msg=name)
                assert np.all(got[s][1] > 0)
    # the default initial state is the steady state at v_init
    mech = hay.NaTa_t()
    init = mech.init_states(jnp.asarray(V_ALL), params_of(mech), 34.0)
    for s in mech.states:
        np.testing.assert_array_equal(np.asarray(init[s]), gates_at("NaTa_t")[s][0])


def test_qt_is_a_constant_not_a_function_of_celsius():
    assert math.isclose(PKG_QT, 2.952882641412121, rel_tol=1e-15) and PKG_QT == QT
    for name in HAY_GATES:
        for s, (_, tau) in gates_at(name, 6.3).items():
            np.testing.assert_array_equal(tau, gates_at(name, 37.0)[s][1])


def test_hay_currents_and_conductances():
    v = jnp.asarray(V_ALL)
    m, h = np.linspace(0.1, 0.9, N), np.linspace(0.95, 0.2, N)
    for name, (power, has_h, species, erev) in HAY_CURRENT.items():
        cls = DEFAULT_REGISTRY[name]
        mech = cls(**{next(iter(cls.parameters)): 0.0123})
        p = params_of(mech)
        states = {s: jnp.asarray({"m": m, "h": h}[s]) for s in cls.states}
        g = 0.0123 * m**power * (h if has_h else 1.0)
        (gname,) = cls.assigned
        assert gname == "g" + name
        np.testing.assert_allclose(
            np.asarray(mech.assigned_values(v, states, p, 34.0)[gname]), g, rtol=1e-14
        )
        i = mech.species_currents(v, states, p, 34.0)
        assert set(i) == {species}
        e = ION_VALUES.get(erev, -45.0)  # ehcn: its GLOBAL default
        np.testing.assert_allclose(np.asarray(i[species]), g * (V_ALL - e), rtol=1e-13)
        np.testing.assert_allclose(np.asarray(mech.current(v, states, p, 34.0)), g * (V_ALL - e))


# --- the equality guards --------------------------------------------------------------

# (mechanism, singular voltage): the (state, inf/tau) computed after the guard, which therefore
# equal their value at v + 1e-4; the others are computed at v itself
GUARDS = {
    ("NaTa_t", -38.0): {("m", 0), ("m", 1), ("h", 0), ("h", 1)},
    ("NaTa_t", -66.0): {("h", 0), ("h", 1)},
    ("NaTs2_t", -32.0): {("m", 0), ("m", 1), ("h", 0), ("h", 1)},
    ("NaTs2_t", -60.0): {("h", 0), ("h", 1)},
    ("Nap_Et2", -38.0): {("m", 1), ("h", 0), ("h", 1)},  # m∞ comes before any guard
    ("Nap_Et2", -17.0): {("h", 0), ("h", 1)},
    ("Nap_Et2", -64.4): {("h", 0), ("h", 1)},
    ("Ih", -154.9): {("m", 0), ("m", 1)},
    ("Ca_HVA", -27.0): {("m", 0), ("m", 1), ("h", 0), ("h", 1)},
}


def test_guards_give_the_value_of_the_shifted_voltage():
    for (name, v0), after in GUARDS.items():
        got = gates_at(name)
        i, j = at(v0), at(v0 + 1e-4)
        for s in got:
            for k in (0, 1):
                assert np.isfinite(got[s][k][i]), (name, v0, s)
                if (s, k) in after:
                    assert got[s][k][i] == got[s][k][j], (name, v0, s, k)
                else:
                    assert got[s][k][i] != got[s][k][j], (name, v0, s, k)
    # Nap_Et2's m∞ at -38 is that of -38 itself
    np.testing.assert_allclose(
        gates_at("Nap_Et2")["m"][0][at(-38.0)], 1 / (1 + np.exp(-(-38 + 52.6) / 4.6)), rtol=1e-15
    )
    with np.errstate(invalid="ignore"):  # without the guard: 0/0
        w = np.float64(0.0)
        assert np.isnan(0.182 * w / (1 - np.exp(-w / 6)))


def test_k_pst_branch_at_minus_60_mV():
    tau = gates_at("K_Pst")["m"][1]
    first = (1.25 + 175.03 * np.exp(0.026 * -50.0)) / QT
    second = (1.25 + 13 * np.exp(-0.026 * -50.0)) / QT
    assert tau[at(-60.0)] == pytest.approx(second, rel=1e-14)  # u = -50: the second branch
    assert tau[at(-60.0 + 1e-9)] == pytest.approx(second, rel=1e-9)
    assert tau[at(-60.0 - 1e-9)] == pytest.approx(first, rel=1e-9)
    assert 1e-7 < abs(first - second) / second < 2e-5  # continuous to ~1e-5, two expressions


# --- SK_E2, CaDynamics_E2, Ih ----------------------------------------------------------------


def test_sk_e2_z_inf_and_its_cai_floor():
    mech = hay.SK_E2()
    cai = np.array([1e-9, 5e-8, 9.99e-8, 1e-7, 2e-7, 5e-5, 1e-4, 4.3e-4, 1e-3, 1e-2])
    p = {**params_of(mech, n=cai.size), "cai": jnp.asarray(cai)}
    z_inf, tau = mech.gates(jnp.zeros(cai.size), p, 34.0)["z"]
    c = np.where(cai < 1e-7, cai + 1e-7, cai)
    np.testing.assert_allclose(np.asarray(z_inf), 1 / (1 + (4.3e-4 / c) ** 4.8), rtol=1e-13)
    assert float(z_inf[7]) == pytest.approx(0.5, rel=1e-14)
    np.testing.assert_array_equal(np.asarray(tau), 1.0)  # zTau, a GLOBAL
    assert mech.global_parameters == ("zTau",) and set(mech.ion_reads) == {"ek", "cai"}
    z2 = mech.gates(jnp.full(cai.size, 30.0), p, 34.0)["z"][0]  # z does not depend on v
    np.testing.assert_array_equal(np.asarray(z2), np.asarray(z_inf))
    new = mech.update(jnp.zeros(cai.size), {"z": jnp.full(cai.size, 0.3)}, p, 0.025, 34.0)["z"]
    want = 0.3 + (1 - np.exp(-0.025 / 1.0)) * (np.asarray(z_inf) - 0.3)
    np.testing.assert_allclose(np.asarray(new), want, rtol=1e-14)


def test_cadynamics_e2_update_is_the_closed_form():
    mech = hay.CaDynamics_E2(gamma=0.02, decay=100.0, depth=0.1, minCai=1e-4)
    assert mech.ion_reads == ("ica", "cai") and mech.ion_writes == ("cai",)
    assert mech.states == () and mech.init_states(jnp.zeros(4), {}, 34.0) == {}
    ica = np.array([0.0, -1e-3, -5e-2, 2e-3])  # mA/cm², inward negative
    cai = np.array([5e-5, 1e-4, 3e-4, 2e-4])
    p = {**params_of(mech, n=4), "ica": jnp.asarray(ica), "cai": jnp.asarray(cai)}

    def closed(t):  # exact solution of the linear equation with ica constant
        c_inf = 1e-4 + 100.0 * (-1e4 * 0.02 * ica / (2 * F * 0.1))
        return c_inf + (cai - c_inf) * np.exp(-t / 100.0)

    for dt in (0.025, 1.0, 37.5):
        new = np.asarray(mech.update(jnp.zeros(4), {}, p, dt, 34.0)["cai"])
        np.testing.assert_allclose(new, closed(dt), rtol=1e-13)
    small = np.asarray(mech.update(jnp.zeros(4), {}, p, 1e-6, 34.0)["cai"])
    rhs = -1e4 * 0.02 * ica / (2 * F * 0.1) - (cai - 1e-4) / 100.0  # FORMAT_V2 section 8
    np.testing.assert_allclose((small - cai) / 1e-6, rhs, rtol=1e-6, atol=1e-12)
    assert small[2] > cai[2]  # inward current raises cai
    assert np.asarray(mech.current(jnp.zeros(4), {}, p, 34.0)).tolist() == [0.0] * 4
    assert mech.species_currents(jnp.zeros(4), {}, p, 34.0) == {}


def test_ih_is_nonspecific_with_a_global_reversal():
    assert hay.Ih.nonspecific_current == "ihcn" and hay.Ih.global_parameters == ("ehcn",)
    assert hay.Ih.ion_reads == () and hay.Ih().values["ehcn"] == -45.0


# --- Pospischil et al. 2008 --------------------------------------------------------------


def np_vtrap(x, y):
    with np.errstate(all="ignore"):
        return np.where(np.abs(x / y) < 1e-6, y * (1 - x / y / 2), x / (np.exp(x / y) - 1))


def ref_hh2(v, vt, celsius):
    tadj = 3.0 ** ((celsius - 36) / 10)
    v2 = v - vt
    rates = {
        "m": (0.32 * np_vtrap(13 - v2, 4), 0.28 * np_vtrap(v2 - 40, 5)),
        "h": (0.128 * np.exp((17 - v2) / 18), 4 / (1 + np.exp((40 - v2) / 5))),
        "n": (0.032 * np_vtrap(15 - v2, 5), 0.5 * np.exp((10 - v2) / 40)),
    }
    return {s: (a / (a + b), 1 / (a + b) / tadj) for s, (a, b) in rates.items()}


def ref_km(v, taumax=1000.0, celsius=34.0):
    x = v + 35
    tadj = 2.3 ** ((celsius - 36) / 10)
    return {
        "m": (1 / (1 + np.exp(-x / 10)), taumax / tadj / (3.3 * np.exp(x / 20) + np.exp(-x / 20)))
    }


def ref_cal(v):
    with np.errstate(all="ignore"):
        am = 0.055 * (-27 - v) / (np.exp((-27 - v) / 3.8) - 1)
    am = np.where(v == -27.0, 0.055 * 3.8, am)  # the mod file's 0/0 at -27 mV: here its limit
    bm = 0.94 * np.exp((-75 - v) / 17)
    ah = 4.57e-4 * np.exp((-13 - v) / 50)
    bh = 0.0065 / (np.exp((-15 - v) / 28) + 1)
    return {"m": (am / (am + bm), 1 / (am + bm)), "h": (ah / (ah + bh), 1 / (ah + bh))}


def ref_cat(v, celsius=34.0, shift=2.0, q10=3.0):
    phi = q10 ** ((celsius - 24) / 10)
    vm = v + shift
    tau = (30.8 + (211.4 + np.exp((vm + 113.2) / 5)) / (1 + np.exp((vm + 84) / 3.2))) / phi
    return {"h": (1 / (1 + np.exp((vm + 81) / 4)), tau)}


def ref_sk(v, cai=ION_VALUES["cai"]):
    return {"z": (np.full(v.shape, 1 / (1 + (4.3e-4 / cai) ** 4.8)), np.ones(v.shape))}


REF_GATES = {
    **HAY_GATES,
    "SK_E2": ref_sk,
    "hh2": lambda v: ref_hh2(v, -63.0, 34.0),
    "im": ref_km,
    "ical": ref_cal,
    "it": ref_cat,
}


def test_hh2_rates_and_zero_initial_gates():
    for celsius in (36.0, 24.0):
        got, want = gates_at("hh2", celsius, vtraub=-55.0), ref_hh2(V_ALL, -55.0, celsius)
        for s in "mhn":
            for k in (0, 1):
                np.testing.assert_allclose(got[s][k], want[s][k], rtol=1e-12)
                # vtrap's removable singularities (v2 = 13, 40, 15: v = -42, -15, -40) are finite
                assert np.all(np.isfinite(got[s][k]))
    mech = pospischil.HH2()
    v, p = jnp.asarray(V_ALL), params_of(pospischil.HH2())
    init = mech.init_states(v, p, 36.0)  # HH_traub.mod's INITIAL: m = h = n = 0
    assert all(np.all(np.asarray(init[s]) == 0.0) for s in "mhn")
    states = {s: jnp.full(N, x) for s, x in zip("mhn", (0.2, 0.6, 0.4))}
    i = mech.species_currents(v, states, p, 36.0)
    np.testing.assert_allclose(np.asarray(i["na"]), 0.003 * 0.2**3 * 0.6 * (V_ALL - 50.0))
    np.testing.assert_allclose(np.asarray(i["k"]), 0.005 * 0.4**4 * (V_ALL + 85.0))


def test_km_rates_tau_max_and_zero_initial_gate():
    for celsius in (36.0, 30.0):
        m_inf, tau = gates_at("im", celsius, taumax=600.0)["m"]
        want = ref_km(V_ALL, 600.0, celsius)["m"]
        np.testing.assert_allclose(m_inf, want[0], rtol=1e-13)
        np.testing.assert_allclose(tau, want[1], rtol=1e-13)
    # the peak of tau is taumax/(2 sqrt(3.3)) at 36 °C
    tau36 = gates_at("im", 36.0, taumax=600.0)["m"][1]
    assert tau36[at(KM_PEAK)] == pytest.approx(600.0 / (2 * np.sqrt(3.3)), rel=1e-12)
    assert tau36.max() == tau36[at(KM_PEAK)]
    # IM_cortex.mod's exptable is 0 outside (-25, 25): m∞(300 mV) = 1/(1 + 0)
    assert gates_at("im", 36.0, taumax=600.0)["m"][0][at(300.0)] == 1.0
    mech = pospischil.Km()
    assert float(mech.init_states(jnp.asarray(V_ALL), params_of(mech), 36.0)["m"].sum()) == 0.0


def test_cal_uses_its_own_constant_reversal_potential():
    mech = pospischil.CaL()
    v, p = jnp.asarray(V_ALL), params_of(mech)
    got, want = gates_at("ical", 36.0), ref_cal(V_ALL)
    for s in "mh":
        np.testing.assert_allclose(got[s][0], want[s][0], rtol=1e-12)
        np.testing.assert_allclose(got[s][1], want[s][1], rtol=1e-12)
    am = 1 / want["m"][1] * want["m"][0]
    bm = 1 / want["m"][1] - am
    carev = 1e3 * R * (36 + 273.15) / (2 * F) * np.log(2.0 / 2.4e-4)
    assert 120.0 < carev < 120.5
    states = {"m": jnp.full(N, 0.3), "h": jnp.full(N, 0.7)}
    i = mech.species_currents(v, states, p, 36.0)
    np.testing.assert_allclose(np.asarray(i["ca"]), 1e-4 * 0.09 * 0.7 * (V_ALL - carev))
    carev_rec = np.asarray(mech.assigned_values(v, states, p, 36.0)["carev"])
    np.testing.assert_allclose(carev_rec, carev, rtol=1e-14)
    assert mech.ion_reads == ("eca",) and set(mech.global_parameters) == {"cai", "cao"}
    i_eca = mech.species_currents(v, states, {**p, "eca": jnp.full(N, -1e3)}, 36.0)["ca"]
    np.testing.assert_array_equal(np.asarray(i_eca), np.asarray(i["ca"]))  # read, not used
    assert float(mech.init_states(v, p, 36.0)["m"].sum()) == 0.0
    new = mech.update(v, states, p, 0.025, 36.0)["m"]  # cnexp on m' = a (1 - m) - b m
    want = 0.3 + (1 - np.exp(-0.025 * (am + bm))) * (am / (am + bm) - 0.3)
    np.testing.assert_allclose(np.asarray(new), want, rtol=1e-13)


def test_cat_rates_and_the_lagged_activation():
    mech = pospischil.CaT()
    v, p = jnp.asarray(V_ALL), params_of(mech)
    phi = 3.0 ** ((36 - 24) / 10)
    vm = V_ALL + 2.0  # shift = the paper's Vx
    h_inf, tau_h = gates_at("it", 36.0)["h"]
    want_inf, want_tau = ref_cat(V_ALL, 36.0)["h"]
    np.testing.assert_allclose(h_inf, want_inf, rtol=1e-13)
    np.testing.assert_allclose(tau_h, want_tau, rtol=1e-13)
    assert abs(phi - 3.7) < 0.05  # the paper's factor 3.7
    # the update stores m∞ of the new voltage; the current uses that stored value
    s0 = {"h": jnp.full(N, 0.4), "m_inf": jnp.full(N, 0.25)}
    new = mech.update(v, s0, p, 0.025, 36.0)
    m_inf = 1 / (1 + np.exp(-(vm + 57) / 6.2))
    np.testing.assert_allclose(np.asarray(new["m_inf"]), m_inf, rtol=1e-13)
    want_h = 0.4 + (1 - np.exp(-0.025 / want_tau)) * (h_inf - 0.4)
    np.testing.assert_allclose(np.asarray(new["h"]), want_h, rtol=1e-13)
    carev = 1e3 * R * (36 + 273.15) / (2 * F) * np.log(2.0 / 2e-4)
    i = mech.species_currents(v, s0, p, 36.0)["ca"]
    np.testing.assert_allclose(np.asarray(i), 0.002 * 0.25**2 * 0.4 * (V_ALL - carev))
    # so di/dv (NEURON's implicit step) holds m∞ fixed: g = gcabar m∞² h
    _, didv = jax.jvp(lambda x: mech.current(x, s0, p, 36.0), (v,), (jnp.ones(N),))
    np.testing.assert_allclose(np.asarray(didv), 0.002 * 0.25**2 * 0.4, rtol=1e-14)
    init = mech.init_states(v, p, 36.0)  # IT_huguenard.mod's INITIAL: h = 0
    assert float(init["h"].sum()) == 0.0 and float(init["m_inf"].sum()) == 0.0
    assert mech.global_parameters == ("q10",) and mech.ion_reads == ("cai", "cao")


def test_cad_backward_euler_and_inward_only_drive():
    mech = pospischil.Cad(depth=1.0, taur=5.0, cainf=2.4e-4)
    ica = np.array([-1e-2, -1e-4, 0.0, 3e-3])
    cai = np.array([2.4e-4, 5e-4, 1e-3, 4e-4])
    p = {**params_of(mech, n=4), "ica": jnp.asarray(ica), "cai": jnp.asarray(cai)}
    np.testing.assert_array_equal(
        np.asarray(mech.init_states(jnp.zeros(4), p, 36.0)["cai"]), 2.4e-4
    )
    dt = 0.025
    new = np.asarray(mech.update(jnp.zeros(4), {}, p, dt, 36.0)["cai"])
    drive = np.maximum(-1e4 * ica / (2 * 96489.0 * 1.0), 0.0)  # outward current pumps nothing
    # the implicit (backward Euler) equation holds at the new value
    np.testing.assert_allclose((new - cai) / dt, drive + (2.4e-4 - new) / 5.0, rtol=1e-12)
    assert new[0] > cai[0] and new[3] < cai[3]
    assert mech.ion_writes == ("cai",) and mech.ion_reads == ("ica", "cai")


def test_the_pospischil_leak_is_neurons_pas():
    assert pospischil.Pas is dm.Pas is DEFAULT_REGISTRY["pas"]
    assert DEFAULT_REGISTRY["im"] is pospischil.Km and DEFAULT_REGISTRY["Im"] is hay.Im


# --- float32, gradients, jit, vmap --------------------------------------------------------

V32_GRID = np.concatenate([np.linspace(-120, 60, 181), SING, [-50.0, -8.0, 15.0, -42.0, -15.0]])


def _steady(mech, v, p, celsius):
    """States at the steady state of ``v`` (for ``it``: h∞ and the lagged m∞)."""
    if isinstance(mech, pospischil.CaT):
        m_inf, h_inf, _ = mech._rates(v, p, celsius)
        return {"h": h_inf, "m_inf": m_inf}
    return {s: g[0] for s, g in mech.gates(v, p, celsius).items()}


GATED = [c for c in all_classes() if c.states]


def _evaluate(v, dtype, with_grad=True):
    """Gates at ``v`` and the gradient of the summed current through the steady-state gates,
    for every gated channel."""
    out = {}
    for cls in GATED:
        mech = cls()
        p, c = params_of(mech, dtype, n=v.size), jnp.asarray(34.0, dtype)

        def total(x, mech=mech, p=p, c=c):
            return jnp.sum(mech.current(x, _steady(mech, x, p, c), p, c))

        out[cls.name] = (mech.gates(v, p, c), jax.grad(total)(v) if with_grad else None)
    return out


@functools.cache
def jitted(dtype):
    """Gates and gradients of every gated channel at ``V32_GRID`` in ``dtype``: one jitted
    function (the float64 voltages are the same decimal numbers; the guards test equality)."""
    return jax.jit(lambda v: _evaluate(v, dtype))(jnp.asarray(V32_GRID, dtype))


@pytest.mark.parametrize("cls", GATED, ids=lambda c: c.name)
def test_float32_values_and_gradients_are_finite_and_accurate(cls):
    g32, grad32 = jitted(jnp.float32)[cls.name]
    assert grad32.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(grad32)))
    assert np.any(np.asarray(grad32) != 0)
    want = REF_GATES[cls.name](V32_GRID)  # float64 numpy
    for s, (inf, tau) in g32.items():
        assert inf.dtype == jnp.float32 and tau.dtype == jnp.float32
        assert np.all(np.isfinite(np.asarray(inf))) and np.all(np.isfinite(np.asarray(tau)))
        # float32 agrees with float64 (the float32 rate form uses expm1 near its singularity)
        np.testing.assert_allclose(np.asarray(inf), want[s][0], rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(tau), want[s][1], rtol=2e-5)


@pytest.mark.slow  # a second large jit (float64 gradients of every channel): ~10 s more
def test_float32_gradients_match_float64():
    out32, out64 = jitted(jnp.float32), jitted(jnp.float64)
    for cls in GATED:
        grad32, grad64 = np.asarray(out32[cls.name][1]), np.asarray(out64[cls.name][1])
        scale = float(np.max(np.abs(grad64)))
        np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-4 * scale, err_msg=cls.name)


def test_concentration_updates_in_float32_with_gradients():
    for mech in (hay.CaDynamics_E2(), pospischil.Cad()):
        p = params_of(mech, jnp.float32, n=3)

        def cai_after(ica, mech=mech, p=p):
            new = mech.update(jnp.zeros(3, jnp.float32), {}, {**p, "ica": ica}, 0.025, 34.0)
            return jnp.sum(new["cai"])

        g = jax.grad(cai_after)(jnp.asarray([-1e-3, -1e-2, -5e-2], jnp.float32))
        assert g.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(g)))
        assert np.all(np.asarray(g) < 0)  # more inward current, more calcium


# one of each kind: guards, Ca-dependent gate, concentration writer (cnexp, derivimplicit),
# zero initial gates with a hand-written update, the lagged activation of ``it``
JIT_VMAP = [
    hay.NaTa_t,
    hay.K_Pst,
    hay.SK_E2,
    hay.CaDynamics_E2,
    pospischil.HH2,
    pospischil.CaT,
    pospischil.Cad,
]


def test_jit_and_vmap_of_the_channel_functions():
    """``update`` and ``current`` under ``jit`` equal eager, and ``vmap`` over a batch of
    parameter sets (every parameter scaled) equals one set at a time (a representative set of
    classes: each jit compilation costs seconds)."""
    v = jnp.asarray(V_ALL)
    scales = jnp.asarray([0.5, 1.0, 2.0])

    def run(v, scales):
        out = {}
        for cls in JIT_VMAP:
            mech = cls()
            p = params_of(mech, n=v.size)
            states = {s: jnp.full(v.size, 0.5) for s in cls.states}

            def one(scale, vv, mech=mech, cls=cls, p=p, states=states):
                pp = {k: x[0] * (scale if k in cls.parameters else 1.0) for k, x in p.items()}
                ss = {k: x[0] for k, x in states.items()}
                return mech.current(vv, ss, pp, 34.0), mech.update(vv, ss, pp, 0.025, 34.0)

            batched = jax.vmap(one, in_axes=(0, None))(scales, v[3])
            out[cls.name] = (
                mech.update(v, states, p, 0.025, 34.0),
                mech.current(v, states, p, 34.0),
                batched,
            )
        return out

    jitted = jax.jit(run)(v, scales)
    for cls in JIT_VMAP:
        mech = cls()
        p = params_of(mech, n=v.size)
        states = {s: jnp.full(v.size, 0.5) for s in cls.states}
        upd, cur, (i_b, u_b) = jitted[cls.name]
        eager = mech.update(v, states, p, 0.025, 34.0)
        assert set(upd) == set(eager)
        for k in eager:
            np.testing.assert_allclose(np.asarray(upd[k]), np.asarray(eager[k]), rtol=1e-14)
        np.testing.assert_allclose(
            np.asarray(cur), np.asarray(mech.current(v, states, p, 34.0)), rtol=1e-14
        )
        assert i_b.shape == (3,) and all(u.shape == (3,) for u in u_b.values())
        # the batch entry with scale 1 is the unscaled site 3
        np.testing.assert_allclose(np.asarray(i_b[1]), np.asarray(cur[3]), rtol=1e-13)
        for k in u_b:
            np.testing.assert_allclose(np.asarray(u_b[k][1]), np.asarray(upd[k][3]), rtol=1e-13)


# --- registry and namespaces ---------------------------------------------------------------


def test_registry_and_namespaces():
    hay_names = {
        "NaTa_t", "NaTs2_t", "Nap_Et2", "K_Pst", "K_Tst", "SKv3_1", "SK_E2", "Ih", "Im",
        "Ca_HVA", "Ca_LVAst", "CaDynamics_E2",
    }  # fmt: skip
    assert {c.name for c in hay.MECHANISMS} == hay_names
    for cls in hay.MECHANISMS:
        assert cls.__name__ == cls.name and DEFAULT_REGISTRY[cls.name] is cls
        assert getattr(dm, cls.__name__) is cls and getattr(hay, cls.__name__) is cls
        assert not hasattr(dx, cls.__name__)  # the library namespace, not the top level
    assert {c.name for c in pospischil.MECHANISMS} == {"hh2", "im", "ical", "it", "cad", "pas"}
    for cls in pospischil.MECHANISMS:
        assert DEFAULT_REGISTRY[cls.name] is cls
        assert getattr(dm, cls.__name__) is cls and getattr(pospischil, cls.__name__) is cls
        assert cls is dm.Pas or not hasattr(dx, cls.__name__)
    import dendrax.mechanisms.hay as hay_module  # real modules, importable by path
    import dendrax.mechanisms.pospischil as pos_module

    assert hay_module.MECHANISMS == hay.MECHANISMS and pos_module.HH2 is pospischil.HH2
    # NEURON's update order uses the mod file names
    assert [c.order_name or c.name for c in pospischil.MECHANISMS[:5]] == [
        "HH_traub", "IM_cortex", "IL_gutnick", "IT_huguenard", "cadecay_destexhe",
    ]  # fmt: skip
    # parameter defaults of the mod files
    assert hay.SK_E2().values == {"gSK_E2bar": 1e-6, "zTau": 1.0}
    assert hay.Ih().values == {"gIhbar": 1e-5, "ehcn": -45.0}
    assert hay.CaDynamics_E2().values == {
        "gamma": 0.05, "decay": 80.0, "depth": 0.1, "minCai": 1e-4,
    }  # fmt: skip
    for cls in hay.MECHANISMS[:-1]:
        gbar = next(k for k in cls.parameters if k.endswith("bar"))
        assert gbar == "g" + cls.name + "bar"
        assert cls.parameters[gbar] == (1e-6 if cls is hay.SK_E2 else 1e-5, "S/cm^2")
    assert pospischil.HH2().values == {"gnabar": 0.003, "gkbar": 0.005, "vtraub": -63.0}
    assert pospischil.Km().values == {"gkbar": 1e-6, "taumax": 1000.0}
    assert pospischil.CaT().values == {"gcabar": 0.002, "shift": 2.0, "q10": 3.0}
    with pytest.raises(ValueError, match="valid parameters"):
        hay.NaTa_t(gbar=1.0)


def test_a_single_compartment_runs_with_the_pospischil_set():
    """dx.compile and simulate with the Pospischil set: a cell that spikes during a step."""
    soma = dx.BranchGeometry.cylinder(length_um=96.0, diam_um=96.0, ncomp=1, kind="soma")
    cell = dx.Cell([soma])
    cell.insert(dm.Pas(g=1e-5, e=-85.0))
    cell.insert(dm.HH2(gnabar=0.05, gkbar=0.005, vtraub=-55.0))
    cell.insert(dm.Km(gkbar=7e-5))
    cell.insert(dm.CaT(gcabar=4e-4))
    cell.insert(dm.Cad(depth=1.0, cainf=2.4e-4))
    cell.set_ion("k", erev_mV=-100.0, mode="fixed")
    cell.stimulate(dx.IClamp(delay_ms=10.0, dur_ms=60.0, amp_nA=0.5), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    cell.record("m_inf", at=(0, 0.5), key="m_inf", mechanism="it")
    r = dx.simulate(dx.compile(cell, dt_ms=0.05, t_stop_ms=80.0, v_init_mV=-70.0, celsius=36.0))
    v, m_inf = np.asarray(r["v"]), np.asarray(r["m_inf"])
    assert np.all(np.isfinite(v)) and np.sum((v[1:] > 0) & (v[:-1] <= 0)) >= 3
    assert m_inf[0] == 0.0 and m_inf[-1] > 0  # INITIAL leaves m∞ at 0


@pytest.mark.slow  # the Hay cases of tests/validation (lead) run the same set against NEURON
def test_a_single_compartment_runs_with_every_hay_mechanism():
    """Every Hay mechanism at Hay's somatic densities in one compartment."""
    cell = dx.Cell([dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1, kind="soma")])
    cell.insert(dm.Pas(g=3.38e-5, e=-90.0))
    for cls, gbar in [
        (dm.NaTa_t, 2.04), (dm.Nap_Et2, 0.00172), (dm.K_Pst, 0.00223), (dm.K_Tst, 0.0812),
        (dm.SKv3_1, 0.693), (dm.SK_E2, 0.0441), (dm.Ca_HVA, 0.000992), (dm.Ca_LVAst, 0.00343),
        (dm.Ih, 0.0002), (dm.Im, 6.75e-5), (dm.NaTs2_t, 0.01),
    ]:  # fmt: skip
        cell.insert(cls(**{next(iter(cls.parameters)): gbar}))
    cell.insert(dm.CaDynamics_E2(gamma=0.000501, decay=460.0))
    cell.set_ion("na", erev_mV=50.0, mode="fixed")
    cell.set_ion("k", erev_mV=-85.0, mode="fixed")
    cell.stimulate(dx.IClamp(delay_ms=5.0, dur_ms=20.0, amp_nA=0.5), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    cell.record("cai", at=(0, 0.5), key="cai")
    r = dx.simulate(dx.compile(cell, dt_ms=0.025, t_stop_ms=30.0, v_init_mV=-80.0, celsius=34.0))
    v, cai = np.asarray(r["v"]), np.asarray(r["cai"])
    assert np.all(np.isfinite(v)) and np.sum((v[1:] > 0) & (v[:-1] <= 0)) >= 1
    assert cai[0] == 5e-5 and cai.max() > 1e-4  # NEURON's cai0, then raised by Ca influx


@pytest.mark.slow  # a duplicate of the default coverage above (one more compile, ~5 s)
def test_the_docs_example_runs():
    import pathlib
    import re

    text = (pathlib.Path(__file__).parents[1] / "docs" / "channel_library.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(code, namespace)
    v = np.asarray(namespace["result"]["v"])
    assert np.sum((v[1:] > 0) & (v[:-1] <= 0)) >= 1
    assert np.asarray(namespace["result"]["cai"]).max() > 1e-4
