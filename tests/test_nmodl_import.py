"""``dx.load_mod``: the project's own NMODL files (tests/validation/channels/mod, written from
the published equations) imported as mechanisms.

* every file imports, with the names, defaults, states and ion variables of the hand-written
  library class of the same SUFFIX;
* every phase (INITIAL, state update, currents, assigned values) equals the library to
  round-off on a grid of voltages (incl. the exact singular voltages the guards catch),
  states, concentrations and temperatures;
* (tests/validation/test_nmodl_cases.py: the imported classes reproduce NEURON's traces);
* a gradient through imported mechanisms (a derivimplicit pool and a cnexp channel) matches
  central differences;
* what is not supported fails with the file, the line and what to do.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.io._model_json import load_model
from dendrax.io.nmodl import NmodlError
from dendrax.mechanisms import DEFAULT_REGISTRY, MechanismRegistry

HERE = pathlib.Path(__file__).resolve().parent
MOD_DIR = HERE / "validation" / "channels" / "mod"
CASES_DIR = HERE / "validation" / "channels" / "cases"
MOD_FILES = sorted(MOD_DIR.glob("*.mod"))
# the library transcribes the same equations in its own order of operations
ROUND_OFF = 1e-12


@pytest.fixture(scope="module")
def imported() -> dict[str, type]:
    return {cls.name: cls for cls in (dx.load_mod(path) for path in MOD_FILES)}


@pytest.fixture(scope="module")
def registry(imported) -> MechanismRegistry:
    """The default registry with every imported class in place of the library class."""
    return MechanismRegistry([imported.get(n, m) for n, m in DEFAULT_REGISTRY.items()])


def _norm_unit(u: str) -> str:
    return u.replace("^", "").replace("²", "2")


def test_the_validation_set_has_the_hay_and_pospischil_files():
    assert len(MOD_FILES) == 17


@pytest.mark.parametrize("path", MOD_FILES, ids=lambda p: p.stem)
def test_file_imports_with_the_library_interface(path):
    cls = dx.load_mod(path)
    lib = DEFAULT_REGISTRY[cls.name]
    assert issubclass(cls, dx.Channel)
    assert cls.order_name == path.stem
    assert (lib.order_name or lib.name) == path.stem
    assert {k: (d, _norm_unit(u)) for k, (d, u) in cls.parameters.items()} == {
        k: (d, _norm_unit(u)) for k, (d, u) in lib.parameters.items()
    }
    assert set(cls.global_parameters) == set(lib.global_parameters)
    assert cls.states == lib.states
    assert set(cls.ion_reads) == set(lib.ion_reads)
    assert cls.ion_writes == lib.ion_writes
    assert set(lib.assigned) <= set(cls.assigned)
    assert cls.nonspecific_current == lib.nonspecific_current or not cls.nonspecific_current


def _inputs(cls, celsius: float):
    """Sites: a voltage grid over -120..60 mV with the guards' exact singular voltages,
    states in (0, 1), concentrations around rest, the library's defaults scaled per site."""
    rng = np.random.default_rng(0)
    singular = [-38.0, -66.0, -32.0, -60.0, -27.0, -154.9, -17.0, -64.4, -15.0, -35.0]
    v = np.concatenate([np.linspace(-120.0, 60.0, 37), singular])
    n = v.size
    params = {k: d * rng.uniform(0.5, 2.0, n) for k, (d, _) in cls.parameters.items()}
    params.update(
        {
            "ena": np.full(n, 50.0),
            "ek": np.full(n, -85.0),
            "eca": np.full(n, 120.0),
            "cai": rng.uniform(1e-5, 2e-3, n),
            "cao": np.full(n, 2.0),
            "ica": rng.uniform(-0.01, 0.001, n),
        }
    )
    params = {
        k: jnp.asarray(p) for k, p in params.items() if k in cls.parameters or k in cls.ion_reads
    }
    states = {s: jnp.asarray(rng.uniform(0.0, 1.0, n)) for s in cls.states}
    return jnp.asarray(v), states, params, jnp.asarray(celsius)


def _close(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    scale = max(float(np.max(np.abs(want))), 1e-300)
    err = float(np.max(np.abs(got - want)))
    assert err <= ROUND_OFF * scale, f"{what}: max|d| = {err:.3g} ({err / scale:.3g} relative)"


@pytest.mark.parametrize("path", MOD_FILES, ids=lambda p: p.stem)
def test_every_phase_equals_the_library_to_round_off(path, celsius=16.3):
    """(16.3 °C: the temperature factors of the Pospischil files are far from 1.)"""
    cls = dx.load_mod(path)
    lib_cls = DEFAULT_REGISTRY[cls.name]
    mine, lib = cls(), lib_cls()
    v, states, params, c = _inputs(cls, celsius)
    for name, x in lib.init_states(v, params, c).items():
        _close(mine.init_states(v, params, c)[name], x, f"init {name}")
    got = mine.update(v, states, params, 0.025, c)
    for name, x in lib.update(v, states, params, 0.025, c).items():
        _close(got[name], x, f"update {name}")
    got = mine.species_currents(v, states, params, c)
    want = lib.species_currents(v, states, params, c)
    assert set(got) == set(want)
    for name in want:
        _close(got[name], want[name], f"current {name}")
    _close(mine.current(v, states, params, c), lib.current(v, states, params, c), "current")
    got = mine.assigned_values(v, states, params, c)
    for name, x in lib.assigned_values(v, states, params, c).items():
        _close(got[name], x, f"assigned {name}")


def test_gradient_through_imported_mechanisms_matches_finite_differences(registry, imported):
    """d(loss)/d(it.gcabar, cad.taur) on the T-current case (clamp families, the cad pool by
    derivimplicit) against central differences."""
    cell, options = load_model(CASES_DIR / "dxch_pos_it.json", registry)
    options["t_stop_ms"] = 120.0
    system = dx.compile(cell, **options)
    pm = dx.ParameterMap(
        system,
        [
            dx.Trainable("g_t", (imported["it"], "gcabar")),
            dx.Trainable("taur", (imported["cad"], "taur")),
        ],
    )
    p0 = pm.init()

    def loss(p):
        r = dx.simulate(pm.apply(system, p))
        return jnp.mean(r["i_clamp"]) + 1e3 * jnp.mean(r["cai"])

    grad = jax.jit(jax.grad(loss))(p0)
    value = jax.jit(loss)
    for name in p0:
        h = 1e-4 * float(p0[name][0])
        fd = (value({**p0, name: p0[name] + h}) - value({**p0, name: p0[name] - h})) / (2 * h)
        g = float(grad[name][0])
        assert abs(g) > 0 and np.isfinite(g)
        np.testing.assert_allclose(g, float(fd), rtol=1e-5, err_msg=name)


# --- the cache ---------------------------------------------------------------------------------


def test_the_same_content_gives_the_same_class_and_a_changed_file_reimports(tmp_path):
    path = tmp_path / "leak.mod"
    path.write_text(_LEAK.format(g="0.001"))
    first = dx.load_mod(path)
    assert dx.load_mod(path) is first
    assert dx.load_mod(str(path)) is first
    path.write_text(_LEAK.format(g="0.002"))
    second = dx.load_mod(path)
    assert second is not first
    assert second.parameters["gl"] == (0.002, "S/cm2")
    assert first.parameters["gl"] == (0.001, "S/cm2")


_LEAK = """
NEURON {{ SUFFIX leak NONSPECIFIC_CURRENT il RANGE gl, el }}
PARAMETER {{ gl = {g} (S/cm2) el = -70 (mV) }}
ASSIGNED {{ v (mV) il (mA/cm2) }}
BREAKPOINT {{ il = gl * (v - el) }}
"""


def test_text_imports_and_a_leak_relaxes_a_cell_to_its_reversal_potential():
    leak = dx.load_mod(_LEAK.format(g="0.0003"))
    assert leak.name == "leak" and leak.order_name == "" and leak.nonspecific_current == "il"
    assert leak.global_parameters == ()  # both are RANGE
    cell = dx.Cell([dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1)])
    cell.insert(leak(gl=1e-3, el=-60.0))
    cell.record("v", at=(0, 0.5), key="v")
    cell.record("leak.il", at=(0, 0.5), key="il")
    r = dx.simulate(dx.compile(cell, t_stop_ms=50.0, v_init_mV=-80.0))
    v, il = np.asarray(r["v"]), np.asarray(r["il"])
    np.testing.assert_allclose(v[-1], -60.0, atol=1e-6)  # tau = cm/gl = 1 ms
    assert il[1] == pytest.approx(1e-3 * (-80.0 + 60.0))  # the current of the first step


# --- what is refused ---------------------------------------------------------------------------


def _error(text: str) -> NmodlError:
    with pytest.raises(NmodlError) as info:
        dx.load_mod(text)
    return info.value


def test_a_syntax_error_names_the_line():
    e = _error("NEURON { SUFFIX bad }\nPARAMETER { g = 1 }\nBREAKPOINT {\n  x = (g + \n}\n")
    assert e.line == 5 and "syntax error" in str(e) and "<text>:5" in str(e)


def test_pointer_is_refused_with_the_fix():
    e = _error("NEURON {\n  SUFFIX p\n  POINTER vpre\n}\nASSIGNED { vpre }\nBREAKPOINT { }\n")
    assert e.line == 3 and "POINTER" in str(e) and "PARAMETER" in str(e)


def test_a_point_process_without_current_or_net_receive_is_refused():
    # it would do nothing (point processes with NET_RECEIVE: tests/test_nmodl_point.py)
    e = _error("NEURON {\n  POINT_PROCESS syn\n}\nBREAKPOINT { }\n")
    assert e.line == 2 and "POINT_PROCESS syn" in str(e)


def test_c_code_in_verbatim_is_refused_but_a_final_return_is_accepted():
    e = _error(
        "NEURON { SUFFIX vb }\nASSIGNED { x }\nINITIAL {\nVERBATIM\n  x = drand48();\n"
        "ENDVERBATIM\n}\nBREAKPOINT { }\n"
    )
    assert e.line == 4 and "VERBATIM" in str(e)
    ok = dx.load_mod(
        "NEURON { SUFFIX vb2 RANGE y }\nASSIGNED { y }\nBREAKPOINT { y = f(2) }\n"
        "FUNCTION f(x) {\n  f = x\nVERBATIM\n  return 0;\nENDVERBATIM\n}\n"
    )
    v = jnp.zeros(3)
    assert np.all(np.asarray(ok().assigned_values(v, {}, {}, 6.3)["y"]) == 0.0)  # C's return


def test_cnexp_on_an_equation_nonlinear_in_its_state_is_refused():
    e = _error(
        "NEURON { SUFFIX nl }\nSTATE { x }\nBREAKPOINT { SOLVE s METHOD cnexp }\n"
        "DERIVATIVE s {\n  x' = 1 - x*x\n}\n"
    )
    assert e.line == 5 and "derivimplicit" in str(e)


def test_an_undeclared_name_is_refused():
    e = _error("NEURON { SUFFIX u RANGE y }\nASSIGNED { y }\nBREAKPOINT {\n  y = diam * 2\n}\n")
    assert e.line == 4 and "diam" in str(e) and "PARAMETER" in str(e)


def test_time_is_refused_for_now():
    e = _error("NEURON { SUFFIX tt RANGE y }\nASSIGNED { y }\nBREAKPOINT {\n  y = t\n}\n")
    assert "t (time)" in str(e)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        dx.load_mod(tmp_path / "absent.mod")


# --- constructs beyond the validation files ------------------------------------------------------

_GHK = """
NEURON {
    SUFFIX cag
    USEION ca READ cai, cao WRITE ica
    RANGE pbar
}
UNITS {
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}
PARAMETER { pbar = 1e-4 (cm/s) }
ASSIGNED { v (mV) celsius (degC) cai (mM) cao (mM) ica (mA/cm2) }
STATE { m }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = pbar * m * m * ghk(v, cai, cao)
}
INITIAL { m = minf(v) }
DERIVATIVE states { m' = (minf(v) - m) / 2 }
FUNCTION minf(v (mV)) { minf = 1 / (1 + exp(-(v + 30) / 5)) }
FUNCTION ghk(v (mV), ci (mM), co (mM)) (mA/cm2) {
    LOCAL z, eci, eco
    z = (1e-3) * 2 * FARADAY * v / (R * (celsius + 273.15))
    eco = co * efun(z)
    eci = ci * efun(-z)
    ghk = (.001) * 2 * FARADAY * (eci - eco)
}
FUNCTION efun(z) {
    if (fabs(z) < 1e-4) {
        efun = 1 - z / 2
    } else {
        efun = z / (exp(z) - 1)
    }
}
"""


def _sites(v):
    v = jnp.asarray(v, dtype=jnp.float64)
    n = v.size
    return (
        v,
        {"m": jnp.full(n, 0.4)},
        {
            "pbar": jnp.full(n, 1e-4),
            "cai": jnp.full(n, 1e-4),
            "cao": jnp.full(n, 2.0),
        },
    )


def test_a_ghk_current_equals_the_library_ghk_and_has_neurons_conductance():
    cag = dx.load_mod(_GHK)()
    v, states, params = _sites([-80.0, -20.0, 0.0, 1e-9, 35.0])
    celsius = jnp.asarray(34.0)
    ica = cag.species_currents(v, states, params, celsius)["ca"]
    want = 1e-4 * 0.4 * 0.4 * dx.mechanisms.ghk(v, 1e-4, 2.0, 2, celsius)
    np.testing.assert_allclose(np.asarray(ica), np.asarray(want), rtol=1e-12, atol=1e-18)
    # what the engine does: a JVP in v gives NEURON's (i(v + 0.001) - i(v))/0.001
    cur = lambda vv: cag.current(vv, states, params, celsius)  # noqa: E731
    _, slope = jax.jvp(cur, (v,), (jnp.ones_like(v),))
    quotient = (cur(v + 0.001) - cur(v)) / 0.001
    np.testing.assert_allclose(np.asarray(slope), np.asarray(quotient), rtol=1e-12)
    exact = jax.vmap(jax.grad(lambda x: 1e-4 * 0.16 * dx.mechanisms.ghk(x, 1e-4, 2.0, 2, 34.0)))(v)
    assert np.max(np.abs(np.asarray(slope - exact) / np.asarray(exact))) > 1e-6  # not linear
    # gradients through the branch of efun at v = 0 (z = 0) are finite
    g = jax.grad(
        lambda p: jnp.sum(
            jax.jvp(
                lambda vv: cag.current(vv, states, {**params, "pbar": p}, celsius),
                (v,),
                (jnp.ones_like(v),),
            )[1]
        )
    )(params["pbar"])
    assert np.all(np.isfinite(np.asarray(g)))
    gc = jax.grad(lambda c: jnp.sum(cag.current(v, states, params, c)))(celsius)
    assert np.isfinite(float(gc))  # reaches z = 0 inside efun's unused branch
    # float32: the exact derivative (a 0.001 mV quotient has no precision there)
    v32 = v.astype(jnp.float32)
    s32 = {k: x.astype(jnp.float32) for k, x in states.items()}
    p32 = {k: x.astype(jnp.float32) for k, x in params.items()}
    _, slope32 = jax.jvp(
        lambda vv: cag.current(vv, s32, p32, jnp.float32(34.0)), (v32,), (jnp.ones_like(v32),)
    )
    np.testing.assert_allclose(np.asarray(slope32), np.asarray(exact), rtol=1e-3)
    g32 = jax.grad(lambda vv: jnp.sum(cag.current(vv, s32, p32, jnp.float32(34.0))))(v32)
    assert np.all(np.isfinite(np.asarray(g32)))


def _one(text: str):
    return dx.load_mod(text)()


def test_derivimplicit_solves_a_nonlinear_equation_by_newton():
    mech = _one(
        "NEURON { SUFFIX quad RANGE k }\nPARAMETER { k = 3 (/ms) }\nSTATE { x }\n"
        "BREAKPOINT { SOLVE s METHOD derivimplicit }\nINITIAL { x = 1 }\n"
        "DERIVATIVE s { x' = -k * x * x }\n"
    )
    dt, k, x0 = 0.5, 3.0, jnp.asarray([1.0, 0.2, 0.0])
    got = mech.update(jnp.zeros(3), {"x": x0}, {"k": jnp.full(3, k)}, dt, 6.3)["x"]
    want = (-1.0 + jnp.sqrt(1.0 + 4.0 * dt * k * x0)) / (2.0 * dt * k)  # x1 = x0 - dt k x1²
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-13, atol=1e-15)


def test_cnexp_falls_back_to_derivimplicit_where_the_state_is_in_a_call():
    cls = dx.load_mod(
        "NEURON { SUFFIX fb }\nSTATE { x }\nBREAKPOINT { SOLVE s METHOD cnexp }\n"
        "DERIVATIVE s { x' = exp(-x) }\n"
    )
    assert cls.nmodl_methods == {"s": "derivimplicit"}
    x0 = jnp.asarray([0.0, 2.0])
    x1 = cls().update(jnp.zeros(2), {"x": x0}, {}, 0.1, 6.3)["x"]
    np.testing.assert_allclose(np.asarray(x1 - x0 - 0.1 * jnp.exp(-x1)), 0.0, atol=1e-15)


def test_euler_is_simultaneous_and_cnexp_sequential():
    text = (
        "NEURON {{ SUFFIX {name} }}\nSTATE {{ x y }}\nBREAKPOINT {{ SOLVE s METHOD {method} }}\n"
        "DERIVATIVE s {{\n  x' = -x\n  y' = x - y\n}}\n"
    )
    dt, x0, y0 = 0.1, jnp.asarray([1.0]), jnp.asarray([0.5])
    e = _one(text.format(name="eul", method="euler")).update(x0, {"x": x0, "y": y0}, {}, dt, 6.3)
    np.testing.assert_allclose(float(e["x"][0]), 1.0 - dt * 1.0)
    np.testing.assert_allclose(float(e["y"][0]), 0.5 + dt * (1.0 - 0.5))  # the old x
    c = _one(text.format(name="cnx", method="cnexp")).update(x0, {"x": x0, "y": y0}, {}, dt, 6.3)
    x1 = 1.0 * np.exp(-dt)
    np.testing.assert_allclose(float(c["x"][0]), x1, rtol=1e-15)
    np.testing.assert_allclose(float(c["y"][0]), 0.5 + (1 - np.exp(-dt)) * (x1 - 0.5), rtol=1e-15)


def test_solve_of_a_procedure_runs_in_the_state_update_and_globals_are_global():
    cls = dx.load_mod(
        "NEURON { SUFFIX clock RANGE rate }\nPARAMETER { rate = 2 scale = 3 }\nSTATE { n }\n"
        "BREAKPOINT { SOLVE tick }\nPROCEDURE tick() { n = n + rate * scale * dt }\n"
    )
    assert cls.global_parameters == ("scale",) and cls.states == ("n",)
    out = cls().update(
        jnp.zeros(2),
        {"n": jnp.ones(2)},
        {"rate": jnp.full(2, 2.0), "scale": jnp.full(2, 3.0)},
        0.5,
        6.3,
    )
    np.testing.assert_allclose(np.asarray(out["n"]), 4.0)


def test_carry_keeps_state_update_values_as_states():
    path = MOD_DIR / "NaTa_t.mod"
    cls = dx.load_mod(path, carry=True)
    assert cls is not dx.load_mod(path)
    assert cls.states == ("m", "h", "mInf", "mTau", "hInf", "hTau")
    v = jnp.asarray([-70.0, -38.0, 10.0])
    out = cls().update(
        v,
        dict.fromkeys(cls.states, jnp.zeros(3)),
        {"gNaTa_tbar": jnp.ones(3), "ena": jnp.full(3, 50.0)},
        0.025,
        34.0,
    )
    inf, tau = dx.mechanisms.NaTa_t().gates(v, {}, 34.0)["m"]
    np.testing.assert_allclose(np.asarray(out["mInf"]), np.asarray(inf), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(out["mTau"]), np.asarray(tau), rtol=1e-13)
    assert dx.load_mod(path, carry=("mInf",)).states == ("m", "h", "mInf")
    with pytest.raises(ValueError, match="gNaTa_t"):  # assigned in BREAKPOINT, not the update
        dx.load_mod(path, carry=("gNaTa_t",))


def test_include_units_valence_and_several_nonspecific_currents(tmp_path):
    (tmp_path / "rates.inc").write_text("FUNCTION half(x) { half = x / 2 }\n")
    main = tmp_path / "main.mod"
    main.write_text(
        "NEURON {\n  SUFFIX inc\n  USEION x READ ex WRITE ix VALENCE 1\n"
        "  NONSPECIFIC_CURRENT ia, ib\n  RANGE g\n}\n"
        'INCLUDE "rates.inc"\n'
        "UNITS {\n  F = (faraday) (kilocoulombs)\n}\n"
        "PARAMETER { g = 1 (S/cm2) }\n"
        "ASSIGNED { v (mV) ex (mV) ix (mA/cm2) ia (mA/cm2) ib (mA/cm2) }\n"
        "BREAKPOINT {\n  ix = g * (v - ex)\n  ia = half(g) * F\n  ib = 1\n}\n"
    )
    cls = dx.load_mod(main)
    assert cls.ion_valences == {"x": 1} and cls.ion_reads == ("ex",)
    assert cls.nonspecific_current == "i" and set(cls.assigned) == {"ia", "ib"}
    v, p = jnp.asarray([0.0]), {"g": jnp.asarray([1.0]), "ex": jnp.asarray([-10.0])}
    parts = cls().species_currents(v, {}, p, 6.3)
    np.testing.assert_allclose(float(parts["x"][0]), 10.0)
    np.testing.assert_allclose(
        float(parts[dx.mechanisms.NONSPECIFIC][0]), 96.48533212331002 / 2 + 1
    )
    (tmp_path / "rates.inc").write_text("FUNCTION half(x) { half = x / 4 }\n")
    assert dx.load_mod(main) is not cls  # a changed INCLUDE re-imports


def test_unknown_unit_constants_and_missing_valences_are_refused():
    e = _error("NEURON { SUFFIX uc }\nUNITS {\n  Q = (planck) (joule-sec)\n}\nBREAKPOINT { }\n")
    assert e.line == 3 and "CONSTANT" in str(e)
    e = _error("NEURON {\n  SUFFIX nv\n  USEION x READ ex\n}\nBREAKPOINT { }\n")
    assert e.line == 3 and "VALENCE" in str(e)


@pytest.mark.slow  # 5-15 s: 100 Adam steps through the simulation
def test_the_docs_example_imports_simulates_and_fits(monkeypatch):
    """docs/nmodl.md's first code block runs and recovers gNaTa_tbar."""
    text = (HERE.parent / "docs" / "nmodl.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(HERE.parent)
    scope: dict = {}
    exec(compile(code, "docs/nmodl.md", "exec"), scope)
    assert abs(float(scope["p"]["gna"][0]) - 2.0) < 0.01
