"""KINETIC schemes (tier B) imported by ``dx.load_mod``: reactions ``~`` (both directions,
irreversible, stoichiometry, ``<<`` fluxes), CONSERVE, COMPARTMENT, METHOD sparse and
STEADYSTATE sparse, checked against independent numpy solutions of NEURON's equations
(backward Euler on the scheme's ODEs, one equation per CONSERVE replaced by the conservation
law); refusals name the file, line, construct and what to do. NEURON's traces:
tests/validation/test_nmodl_cases.py (dxnm_kinetic_*)."""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.io.nmodl import NmodlError

MOD = pathlib.Path(__file__).resolve().parent / "validation" / "nmodl" / "mod"


@pytest.fixture(scope="module")
def nakin():
    return dx.load_mod(MOD / "nakin.mod")


@pytest.fixture(scope="module")
def cabuf():
    return dx.load_mod(MOD / "cabuf.mod")


def _hh_rates(v: float, celsius: float) -> tuple[float, float, float, float]:
    """Hodgkin & Huxley (1952) rates (1/ms) with q10 = 3 from 6.3 degC, as nakin.mod."""
    q = 3.0 ** ((celsius - 6.3) / 10.0)
    x = -(v + 40.0)
    am = 0.1 * x / (np.exp(x / 10.0) - 1.0)
    return (
        q * am,
        q * 4.0 * np.exp(-(v + 65.0) / 18.0),
        q * 0.07 * np.exp(-(v + 65.0) / 20.0),
        q / (1.0 + np.exp(-(v + 35.0) / 10.0)),
    )


NAMES = ("m0h0", "m1h0", "m2h0", "m3h0", "m0h1", "m1h1", "m2h1", "m3h1")


def _generator(v: float, celsius: float) -> np.ndarray:
    """Q with dx/dt = Q x for the 8 states m<i>h<j> (FitzHugh 1965's scheme)."""
    am, bm, ah, bh = _hh_rates(v, celsius)
    q = np.zeros((8, 8))

    def rate(a, b, k):  # a -> b at k
        q[b, a] += k
        q[a, a] -= k

    for j in (0, 4):
        for i in range(3):
            rate(j + i, j + i + 1, (3 - i) * am)
            rate(j + i + 1, j + i, (i + 1) * bm)
    for i in range(4):
        rate(i, i + 4, ah)
        rate(i + 4, i, bh)
    return q


def test_the_markov_scheme_imports_with_its_states(nakin):
    assert nakin.states == NAMES
    assert nakin.nmodl_methods == {"kin": "sparse"}
    assert nakin.parameters == {"gnabar": (0.12, "S/cm2")}


def test_steadystate_sparse_is_the_null_vector_of_the_scheme(nakin):
    """NEURON's STEADYSTATE sparse is a backward-Euler step of dt = 1e9 ms from the states'
    zero defaults: the steady state to ~1e-9 absolute (the x/dt terms, gathered by the
    CONSERVE row into m3h1)."""
    v = jnp.asarray([-80.0, -65.0, -20.0, 10.0])
    init = nakin().init_states(v, {"gnabar": jnp.full(4, 0.12)}, 6.3)
    for k, vk in enumerate(np.asarray(v)):
        w, vecs = np.linalg.eig(_generator(float(vk), 6.3))
        p = np.real(vecs[:, np.argmin(np.abs(w))])
        p = p / p.sum()
        got = np.array([float(init[n][k]) for n in NAMES])
        np.testing.assert_allclose(got, p, rtol=0, atol=1e-8)
        # the HH steady state: m_inf^i h_inf^j products of binomials
        am, bm, ah, bh = _hh_rates(float(vk), 6.3)
        minf, hinf = am / (am + bm), ah / (ah + bh)
        assert got[7] == pytest.approx(minf**3 * hinf, abs=1e-8)


def test_a_sparse_step_is_backward_euler_with_the_conserve_row(nakin):
    rng = np.random.default_rng(3)
    x0 = rng.random((3, 8))
    x0 /= x0.sum(1, keepdims=True)
    v, dt, celsius = np.array([-70.0, -30.0, 25.0]), 0.1, 16.3
    states = {n: jnp.asarray(x0[:, i]) for i, n in enumerate(NAMES)}
    got = nakin().update(jnp.asarray(v), states, {"gnabar": jnp.full(3, 0.12)}, dt, celsius)
    for k in range(3):
        a = np.eye(8) / dt - _generator(v[k], celsius)
        b = x0[k] / dt
        a[7, :], b[7] = 1.0, 1.0  # CONSERVE ... = 1 replaces the equation of m3h1
        want = np.linalg.solve(a, b)
        np.testing.assert_allclose([float(got[n][k]) for n in NAMES], want, rtol=1e-12)


def test_the_buffered_shell_conserves_in_volume_units_and_converges(cabuf):
    """Newton (the scheme is nonlinear: cai + B) to NEURON's tolerance (it stops when the sum
    of |steps| is <= 1e-6 mM, its matrix without the '<<' flux's derivative); with
    COMPARTMENT depth NEURON's CONSERVE weights the states by their volume:
    depth (B + CaB) = Btot depth."""
    assert cabuf.ion_writes == ("cai",) and cabuf.states == ("B", "CaB")
    mech = cabuf()
    p = {k: jnp.full(2, d) for k, (d, _) in cabuf.parameters.items()}
    p["ica"] = jnp.asarray([-0.02, 0.0])  # mA/cm2 inward, and none
    p["cai"] = jnp.asarray([5e-5, 5e-5])
    init = mech.init_states(jnp.full(2, -65.0), p, 6.3)
    dt = 0.025
    s = {"B": init["B"], "CaB": init["CaB"], "cai": init["cai"]}
    new = mech.update(jnp.full(2, -65.0), s, p, dt, 6.3)
    c0, b0, cb0 = (np.asarray(s[k]) for k in ("cai", "B", "CaB"))
    c1, b1, cb1 = (np.asarray(new[k]) for k in ("cai", "B", "CaB"))
    d, kon, koff, taur, cainf, btot = 0.2, 100.0, 0.1, 20.0, 5e-5, 0.05
    faraday = 96485.33212331001
    influx = -np.asarray(p["ica"]) * 1e4 / (2 * faraday)
    bind = kon * d * c1 * b1 - koff * d * cb1
    # the two equations NEURON keeps (cai, B) at the new state (to states within 1e-8 mM of
    # the exact solution: measured 2e-10), and the conservation exactly
    tol = d / dt * 1e-8
    np.testing.assert_allclose(
        d * (c1 - c0) / dt, influx - bind + (cainf - c1) * d / taur, rtol=0, atol=tol
    )
    np.testing.assert_allclose(d * (b1 - b0) / dt, -bind, rtol=0, atol=tol)
    np.testing.assert_allclose(d * (b1 + cb1), btot * d, rtol=1e-13)
    assert c1[0] > c0[0] and c1[1] == pytest.approx(c0[1], rel=1e-12)


def test_steadystate_of_a_nonlinear_scheme_is_its_equilibrium():
    """NEURON's _ss_sparse on a binding equilibrium (one-iteration steps of dt = 1e9 ms
    from the zero defaults, states below -1e-6 set to 0, then a converged step): the
    mass-action equilibrium kon ca B = koff CaB with both CONSERVEs."""
    cls = dx.load_mod(
        "NEURON { SUFFIX bind RANGE kon, koff, btot, ctot }\n"
        "PARAMETER { kon = 100 koff = 0.1 btot = 0.05 ctot = 0.02 }\nSTATE { ca B CaB }\n"
        "BREAKPOINT { SOLVE eq METHOD sparse }\nINITIAL { SOLVE eq STEADYSTATE sparse }\n"
        "KINETIC eq {\n  ~ ca + B <-> CaB (kon, koff)\n  CONSERVE B + CaB = btot\n"
        "  CONSERVE ca + CaB = ctot\n}\n"
    )
    kon, koff, btot = 100.0, 0.1, 0.05
    ctot = np.array([0.02, 0.001, 0.2])
    p = {"kon": jnp.full(3, kon), "koff": jnp.full(3, koff), "btot": jnp.full(3, btot)}
    p["ctot"] = jnp.asarray(ctot)
    init = cls().init_states(jnp.full(3, -65.0), p, 6.3)
    # CaB = c: kon (ctot - c)(btot - c) = koff c, the root below min(ctot, btot)
    bq = -(ctot + btot + koff / kon)
    c = (-bq - np.sqrt(bq * bq - 4 * ctot * btot)) / 2
    np.testing.assert_allclose(np.asarray(init["CaB"]), c, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(init["ca"]), ctot - c, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(init["B"]), btot - c, rtol=1e-6)
    # NEURON 9.0.2 (this text compiled by nrnivmodl, finitialize(-65)): ca, B, CaB (mM)
    neuron = {
        0.02: (0.0006322658109052343, 0.030632265810905238, 0.019367734189094765),
        0.001: (1.9992006590379465e-05, 0.049019992006590386, 0.0009800079934096206),
        0.2: (0.15033040287705648, 0.0003304028770564818, 0.04966959712294352),
    }
    for k, ct in enumerate(ctot):
        got = [float(init[n][k]) for n in ("ca", "B", "CaB")]
        np.testing.assert_allclose(got, neuron[float(ct)], rtol=1e-12)


def _kin(body: str, extra: str = "", method: str = "METHOD sparse", initial: str = "") -> str:
    return (
        "NEURON { SUFFIX k1 RANGE kf }\nPARAMETER { kf = 2 (/ms) }\nSTATE { a b c }\n"
        f"BREAKPOINT {{ SOLVE scheme {method} }}\nINITIAL {{ {initial} }}\n"
        f"KINETIC scheme {{\n{body}\n}}\n{extra}"
    )


def test_stoichiometry_irreversible_reactions_and_fluxes_follow_mass_action():
    cls = dx.load_mod(_kin("  ~ 2a + b <-> c (kf, 0.5)\n  ~ a -> (0.3)\n  ~ b << (0.1)"))
    x0 = {"a": jnp.asarray([0.6]), "b": jnp.asarray([0.4]), "c": jnp.asarray([0.1])}
    dt = 0.05
    x1 = cls().update(jnp.zeros(1), x0, {"kf": jnp.asarray([2.0])}, dt, 6.3)
    a, b, c = (float(x1[k][0]) for k in "abc")
    net = 2.0 * a * a * b - 0.5 * c
    np.testing.assert_allclose((a - 0.6) / dt, -2 * net - 0.3 * a, rtol=1e-9)
    np.testing.assert_allclose((b - 0.4) / dt, -net + 0.1, rtol=1e-9)
    np.testing.assert_allclose((c - 0.1) / dt, net, rtol=1e-9)


def test_a_linear_scheme_takes_one_newton_step_with_constant_fluxes_as_neuron():
    """NEURON's translator calls a scheme without multi-molecule sides linear and solves it
    in one iteration whose matrix holds '<<' fluxes and rates constant: a flux that depends
    on a state is then taken at the old state (what NEURON 9 computes)."""
    cls = dx.load_mod(_kin("  ~ a << (-0.5 * a)\n  ~ b <-> c (1, 2)"))
    x0 = {"a": jnp.asarray([1.0]), "b": jnp.asarray([0.3]), "c": jnp.asarray([0.7])}
    dt = 0.1
    x1 = cls().update(jnp.zeros(1), x0, {"kf": jnp.asarray([2.0])}, dt, 6.3)
    assert float(x1["a"][0]) == pytest.approx(1.0 - dt * 0.5, rel=1e-14)  # explicit flux
    m = np.array([[1 / dt + 1, -2], [-1, 1 / dt + 2]])
    want = np.linalg.solve(m, np.array([0.3, 0.7]) / dt)
    np.testing.assert_allclose([float(x1["b"][0]), float(x1["c"][0])], want, rtol=1e-13)


def test_arrays_and_from_loops_expand_to_scalars_with_the_shell_volumes():
    """cashell.mod: STATE/ASSIGNED/LOCAL arrays of a DEFINE size, FROM loops (an if on the
    loop variable decided when unrolled), COMPARTMENT i, vrat[i] {...}; element k of x is
    x_k. Its initial state and one step against numpy (NEURON: dxnm_kinetic_shells)."""
    cls = dx.load_mod(MOD / "cashell.mod")
    n = 4
    assert cls.states[: 3 * n] == tuple(f"{a}_{k}" for a in ("ca", "B", "CaB") for k in range(n))
    assert {"vrat_0", "vrat_3", "frat_1"} <= set(cls.states)  # carried from INITIAL
    p = {k: jnp.asarray([d]) for k, (d, _) in cls.parameters.items()}
    p["ica"], p["cai"] = jnp.asarray([-0.01]), jnp.asarray([5e-5])
    mech = cls()
    s0 = mech.init_states(jnp.asarray([-70.0]), p, 6.3)
    rad, dr = 5.0, 0.5
    r = rad - dr * np.arange(n)
    vrat = np.append((r[:-1] ** 2 - r[1:] ** 2) / (2 * rad), r[-1] ** 2 / (2 * rad))
    np.testing.assert_allclose([float(s0[f"vrat_{k}"][0]) for k in range(n)], vrat, rtol=1e-15)
    # one step: the buffers' totals per shell stay (mass action); calcium enters shell 0 only
    dt = 0.025
    s1 = mech.update(jnp.asarray([-70.0]), s0, p, dt, 6.3)
    for k in range(n):
        total = float(s1[f"B_{k}"][0] + s1[f"CaB_{k}"][0])
        assert total == pytest.approx(0.03, rel=1e-12)
    ca0 = np.array([float(s0[f"ca_{k}"][0]) for k in range(n)])
    ca1 = np.array([float(s1[f"ca_{k}"][0]) for k in range(n)])
    assert ca1[0] > ca0[0] and float(s1["cai"][0]) == ca1[0]
    # the amount of calcium: influx and extrusion change it, diffusion and binding move it
    amount = lambda s: sum(  # noqa: E731
        vrat[k] * float(s[f"ca_{k}"][0] + s[f"CaB_{k}"][0]) for k in range(n)
    )
    influx = 0.01 * 1e4 / (2 * 96485.33212331001)
    extrusion = vrat[0] * (5e-5 - ca1[0]) / 50.0
    assert (amount(s1) - amount(s0)) / dt == pytest.approx(influx + extrusion, rel=1e-6)


def _arr(body: str, size: str = "4") -> str:
    return (
        "NEURON { SUFFIX k2 RANGE kf }\nPARAMETER { kf = 2 (/ms) }\n"
        f"STATE {{ x[{size}] y }}\nBREAKPOINT {{ SOLVE scheme METHOD sparse }}\n"
        f"INITIAL {{ }}\nKINETIC scheme {{\n{body}\n}}\n"
    )


def _error(text: str) -> NmodlError:
    with pytest.raises(NmodlError) as info:
        dx.load_mod(text)
    return info.value


@pytest.mark.parametrize(
    "text, line, words",
    [
        (_kin("  ~ a <-> b (kf, 1)", method="METHOD cnexp"), 4, ["METHOD sparse"]),
        (_kin("  ~ a <-> q (kf, 1)"), 7, ["'q' is not a STATE", "STATE block"]),
        (_kin("  ~ a + b << (1)"), 7, ["exactly one state"]),
        (_kin("  ~ a <-> b (kf, 1)\n  CONSERVE a * b = 1"), 8, ["sum of states"]),
        (_kin("  ~ a <-> b (kf, 1)\n  c' = 1"), 8, ["ODE inside a kinetic scheme", "<<"]),
        (_kin("  if (v > 0) {\n    ~ a <-> b (kf, 1)\n  }"), 7, ["inside if/else"]),
        (
            _kin("  ~ a <-> b (kf, 1)", initial="SOLVE scheme METHOD sparse"),
            5,
            ["only 'SOLVE kin STEADYSTATE sparse'"],
        ),
        (_kin("  ~ a[0] <-> b (kf, 1)"), 7, ["'a' is not an array"]),
        (_arr("  FROM i = 0 TO 3 {\n    ~ x[i] <-> x[i + 1] (kf, 1)\n  }"), 8, ["x[4]", "size 4"]),
        (_arr("  FROM i = 0 TO kf {\n    ~ x[i] <-> y (kf, 1)\n  }"), 7, ["constant integer"]),
        (_arr("  ~ x <-> y (kf, 1)"), 7, ["whole array"]),
        (_arr("  ~ x[0] <-> y (kf, 1)", size="N"), 3, ["'N' is not a DEFINE"]),
        (
            "NEURON { SUFFIX r }\nSTATE { a b }\nBREAKPOINT { SOLVE d }\n"
            "DERIVATIVE d {\n  ~ a <-> b (1, 1)\n}\n",
            5,
            ["only allowed in a KINETIC block", "METHOD sparse"],
        ),
    ],
)
def test_what_the_kinetic_import_refuses_names_the_line_and_the_fix(text, line, words):
    e = _error(text)
    assert e.line == line, str(e)
    for w in words:
        assert w in str(e), str(e)


@pytest.mark.slow  # ~30-60 s on a loaded CPU: the gradient compiles Newton's iterations
def test_gradient_through_an_imported_kinetic_scheme_matches_finite_differences(nakin, cabuf):
    """d(loss)/d(cabuf.kon, nakin.gnabar) through METHOD sparse (a Newton-solved nonlinear
    buffer and the linear Markov scheme) against central differences."""
    cagk = dx.load_mod(MOD / "cagk.mod")
    kdr = dx.load_mod(MOD / "kdrold.mod")
    cell = dx.Cell([dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1)])
    cell.insert(dx.Pas(g=3e-4, e=-54.3))
    cell.insert(nakin(gnabar=0.12))
    cell.insert(kdr(gkbar=0.036))
    cell.insert(cagk(pbar=1e-5))
    cell.insert(cabuf())
    cell.set_ion("na", erev_mV=50.0)
    cell.set_ion("k", erev_mV=-77.0)
    cell.stimulate(dx.IClamp(delay_ms=1.0, dur_ms=20.0, amp_nA=0.15), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    cell.record("cai", at=(0, 0.5), key="cai")
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=15.0, v_init_mV=-65.0, celsius=6.3)
    pm = dx.ParameterMap(
        system,
        [dx.Trainable("kon", (cabuf, "kon")), dx.Trainable("gna", (nakin, "gnabar"))],
    )
    p0 = pm.init()

    def loss(p):
        r = dx.simulate(pm.apply(system, p))
        return jnp.mean(r["v"]) + 1e4 * jnp.mean(r["cai"])

    grad = jax.jit(jax.grad(loss))(p0)
    value = jax.jit(loss)
    for name in p0:
        h = 1e-4 * float(p0[name][0])
        fd = (value({**p0, name: p0[name] + h}) - value({**p0, name: p0[name] - h})) / (2 * h)
        g = float(grad[name][0])
        assert abs(g) > 0 and np.isfinite(g)
        np.testing.assert_allclose(g, float(fd), rtol=1e-5, err_msg=name)
