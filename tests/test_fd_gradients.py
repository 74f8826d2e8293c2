"""Gradients against central finite differences (float64, relative error <= 1e-5) where
tests/test_gradients.py does not go: Crank-Nicolson, the HinesLevels tree solver inside
``simulate`` (rows of any width and of width 2), hh's reversal potentials ``ek`` and ``el``, and
the parameters of a user-written channel (including two that only enter its gate, so the
derivative flows through the exponential-Euler update and the initial steady state).

Public API only (compile, simulate, ParameterMap, Trainable, Channel), so that the engine can be
refactored underneath. One model serves every check: the 6-branch cell of conftest.py with hh in
the soma and one apical branch, pas in the dendrites and the custom channel in the soma and the
apical trunk; 15 ms (600 steps), the soma spikes once. The loss touches every recording.

Measured (jax 0.10.2, 2 shared CPU cores, load ~3.5): worst relative error over the 28
components 1.6e-8 (HinesLevels width 2), 2.4e-8 (HinesLevels), 2.6e-8 (Crank-Nicolson), medians
3e-10-8e-10, so the 1e-5 bound leaves a margin of ~400; ek, el and the custom channel's
parameters <= 1.1e-8. Each configuration takes ~14 s: ~10 s compiling value_and_grad, 56
evaluations of it for the differences.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell
from jax.flatten_util import ravel_pytree

import dendrax as dx

T = dx.Trainable
T_STOP_MS = 15.0
FD_REL_STEP = 1e-5
RTOL = 1e-5


class SlowK(dx.Channel):
    """A slow K+ channel, i = gbar w (v - ek), whose gate has a half-activation ``vhalf`` (mV)
    and a time-constant scale ``tau`` (ms): both act only through ``gates``."""

    name = "slowk_fd"
    parameters = {
        "gbar": (0.004, "S/cm^2"),
        "ek": (-85.0, "mV"),
        "vhalf": (-45.0, "mV"),
        "tau": (3.0, "ms"),
    }
    states = ("w",)

    def gates(self, v, p, celsius):
        inf = 1.0 / (1.0 + jnp.exp(-(v - p["vhalf"]) / 8.0))
        tau = 0.3 + p["tau"] / (1.0 + jnp.exp(-(v + 50.0) / 15.0))
        return {"w": (inf, tau)}

    def current(self, v, s, p, celsius):
        return p["gbar"] * s["w"] * (v - p["ek"])


def make_cell() -> dx.Cell:
    cell = branched_cell("mixed")  # hh in the soma, pas in the dendrites
    cell.insert(dx.HH(gnabar=0.1, gkbar=0.03), where=cell.select(branches=[5]))
    cell.insert(SlowK(), where=cell.select(branches=[0, 1]))
    cell.record("v", (2, 1.0), key="v_basal")
    cell.record("v", (5, 1.0), key="v_side")
    cell.record("w", (0, 0.5), key="w_soma", mechanism="slowk_fd")
    return cell


def make_trainables(cell):
    return [
        T("gnabar", (dx.HH, "gnabar"), sharing=dx.PerRegion()),
        T("gkbar", (dx.HH, "gkbar")),
        T("gl", (dx.HH, "gl")),
        T("ena", (dx.HH, "ena")),
        T("ek", (dx.HH, "ek"), sharing=dx.PerRegion()),
        T("el", (dx.HH, "el"), sharing=dx.PerRegion()),
        T("k_gbar", (SlowK, "gbar"), sharing=dx.PerBranch()),
        T("k_ek", (SlowK, "ek")),
        T("k_vhalf", (SlowK, "vhalf"), sharing=dx.PerRegion()),
        T("k_tau", (SlowK, "tau")),
        T("g_pas", (dx.Pas, "g"), sharing=dx.PerRegion()),
        T("e_pas", (dx.Pas, "e")),
        T("cm", "cm", sharing=dx.PerRegion()),
        T("Ra", "Ra"),
        T("radius", "radius", where=cell.select(branches=[3]), sharing=dx.PerCompartment()),
        T("length", "length", where=cell.select(branches=[1, 2])),
    ]


def parameter_map(cell, system, trainables):
    """The one place that constructs a ParameterMap (its signature is about to change)."""
    return dx.ParameterMap(system, trainables)


def flat_names(pm):
    """``name[group]`` of every entry of ``ravel_pytree(pm.init())``, in its order (the dict's
    flattening order, not the order of the trainables)."""
    leaves = jax.tree_util.tree_flatten_with_path(pm.init())[0]
    return [f"{p[0].key}[{g}]" for p, _ in leaves for g in pm.group_names(p[0].key)]


def problem(dtype=jnp.float64, **compile_options):
    """``(value_and_grad(x), x0, names)`` of the model, jitted; x = flat trainable values."""
    cell = make_cell()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=T_STOP_MS, dtype=dtype, **compile_options)
    pm = parameter_map(cell, system, make_trainables(cell))
    x0, unravel = ravel_pytree(pm.init())
    names = flat_names(pm)

    def loss(x):
        r = dx.simulate(pm.apply(system, unravel(x)))
        v = sum(jnp.mean((r[k] + 55.0) ** 2) for k in ("v_soma", "v_tip", "v_basal", "v_side"))
        return v + jnp.mean(r["v_soma"]) + 100.0 * jnp.mean(r["w_soma"])

    return jax.jit(jax.value_and_grad(loss)), x0, names


def central_differences(loss, x0, rel=FD_REL_STEP):
    """d loss / d x_i by central differences with steps ``rel * |x_i|``."""
    x0 = np.asarray(x0, dtype=np.float64)
    out = np.empty_like(x0)
    for i in range(x0.size):
        h = rel * abs(x0[i])
        up, down = x0.copy(), x0.copy()
        up[i] += h
        down[i] -= h
        out[i] = (float(loss(jnp.asarray(up))) - float(loss(jnp.asarray(down)))) / (2 * h)
    return out


CONFIGS = {
    "CN": {"method": dx.CrankNicolson()},
    "BE-levels": {"tree_solver": dx.HinesLevels()},
    "BE-levels-width2": {"tree_solver": dx.HinesLevels(width=2)},
}
_PROBLEMS: dict = {}
_FD: dict = {}


def configured(key, dtype=jnp.float64):
    """``problem`` of a configuration, compiled once per session (shared with
    test_float32_gradients.py): the jit compile of the gradient is most of each test's time."""
    if (key, dtype) not in _PROBLEMS:
        _PROBLEMS[key, dtype] = problem(dtype, **CONFIGS[key])
    return _PROBLEMS[key, dtype]


def gradient_and_fd(key):
    """float64 gradient, central differences and names; the differences evaluate the value of
    the same jitted value_and_grad (one compile per configuration)."""
    if key not in _FD:
        value_and_grad, x0, names = configured(key)
        fd = central_differences(lambda x: value_and_grad(x)[0], x0)
        _FD[key] = (np.asarray(value_and_grad(x0)[1]), fd, names)
    return _FD[key]


def assert_matches(key):
    grad, fd, names = gradient_and_fd(key)
    small = [n for n, f in zip(names, fd) if abs(f) <= 1e-9]
    assert not small, f"every parameter must influence the loss: {small}"
    rel = np.abs(grad - fd) / np.abs(fd)
    worst = int(np.argmax(rel))
    assert rel.max() <= RTOL, (key, names[worst], grad[worst], fd[worst], rel.max())
    return names, rel


def test_crank_nicolson():
    """Every parameter kind (hh's ek and el and the custom channel included), Crank-Nicolson
    with the default tree solver."""
    assert_matches("CN")


# width 2 only under -m slow: it compiles a third configuration (~9 s), and test_grad.py's
# default selection already checks HinesLevels(width=2) against finite differences
SLOW_KEYS = {"BE-levels-width2"}


def _keys(keys):
    return [pytest.param(k, marks=pytest.mark.slow) if k in SLOW_KEYS else k for k in keys]


@pytest.mark.parametrize("key", _keys(["BE-levels", "BE-levels-width2"]))
def test_hines_levels(key):
    """HinesLevels inside simulate (reverse mode through its custom solve rule), rows of any
    width and rows of width 2, backward Euler."""
    assert_matches(key)


@pytest.mark.parametrize("key", _keys(list(CONFIGS)))
def test_hh_reversal_potentials_and_custom_channel(key):
    """hh's ek and el (per region: soma and apical) and every parameter of the custom channel
    (gbar per branch, ek, and vhalf and tau, which act only through its gate) are among the
    checked components (the configurations above are reused, nothing is recompiled)."""
    names, rel = assert_matches(key)
    for prefix in ("ek[", "el[", "k_gbar[", "k_ek[", "k_vhalf[", "k_tau["):
        checked = [r for n, r in zip(names, rel) if n.startswith(prefix)]
        assert checked and max(checked) <= RTOL, (prefix, checked)
