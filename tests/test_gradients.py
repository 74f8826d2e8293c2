"""Exact gradients through ParameterMap: every parameter kind against central finite
differences (float64, relative error <= 1e-5), under vmap (parameter sets, stimuli, initial
states together), jacfwd, multi-level checkpointing, and finiteness in float32/float64 across
the bounds of the transforms.

Compilations are shared: one jitted loss of a flat vector holding every trainable value (plus a
stimulus amplitude and an initial-voltage offset) serves all finite differences, and one
vmapped value_and_grad (through multi-level checkpointing) serves all reverse-mode checks.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell
from jax.flatten_util import ravel_pytree

import dendrax as dx
from dendrax.solve._state import initial_state

T = dx.Trainable
KEYS = ("v_soma", "v_tip", "v_basal", "v_side")


def mixed_cell():
    cell = branched_cell("mixed")
    cell.record("v", (2, 1.0), key="v_basal")
    cell.record("v", (5, 1.0), key="v_side")
    return cell


def trainables(cell, bounded=False):
    """Every parameter kind, with every kind of sharing; ``bounded`` adds transforms."""

    def b(transform):
        return transform if bounded else dx.Identity()

    rest = cell.select(branches=[0, 1, 2, 4, 5])
    radius_groups = dx.Grouping((cell.select(branches=[0]), cell.select(branches=[1, 2, 4, 5])))
    return [
        T("gnabar", (dx.HH, "gnabar"), transform=b(dx.Sigmoid(0.0, 0.5))),
        T("gkbar", (dx.HH, "gkbar"), transform=b(dx.Sigmoid(0.0, 0.2))),
        T("gl", (dx.HH, "gl"), transform=b(dx.Sigmoid(1e-6, 1e-2))),
        T("ena", (dx.HH, "ena")),
        T("g_pas", (dx.Pas, "g"), sharing=dx.PerRegion(), transform=b(dx.Sigmoid(1e-6, 1e-2))),
        T("e_pas", (dx.Pas, "e"), sharing=dx.PerBranch()),
        T("cm", "cm", sharing=dx.PerBranch(), transform=b(dx.Sigmoid(0.3, 3.0))),
        T("Ra", "Ra", transform=b(dx.Sigmoid(10.0, 1000.0))),
        T(
            "radius_tip",
            "radius",
            where=cell.select(branches=[3]),
            sharing=dx.PerCompartment(),
            transform=b(dx.Softplus(0.05)),
        ),
        T("radius", "radius", where=rest, sharing=radius_groups, transform=b(dx.Softplus(0.05))),
        T("length", "length", sharing=dx.PerRegion(), transform=b(dx.Softplus(0.5))),
    ]


def make_loss(dtype, bounded=False):
    """``loss(x, amp, dv)``: x = flat trainable values (unconstrained if ``bounded``), amp scales
    the stimulus current, dv (mV) shifts the initial voltages."""
    cell = mixed_cell()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=8.0, dtype=dtype)
    pm = dx.ParameterMap(system, trainables(cell, bounded))
    p0 = pm.to_unconstrained(pm.init()) if bounded else pm.init()
    x0, unravel = ravel_pytree(p0)
    current = system.stimuli.current_nA

    def loss(x, amp, dv, levels=None):
        p = unravel(x)
        s = pm.apply(system, pm.from_unconstrained(p) if bounded else p)
        s = eqx.tree_at(lambda s: s.stimuli.current_nA, s, current * amp)
        start = initial_state(s)
        start = dx.State(v=start.v + dv, states=start.states)
        r = dx.simulate(s, initial=start, checkpoint_levels=levels)
        return sum(jnp.mean((r[k] + 55.0) ** 2) for k in KEYS) + jnp.mean(r["v_soma"])

    return loss, x0, pm, unravel


@pytest.fixture(scope="module")
def f64():
    """The float64 loss, jitted, and one jitted vmap(value_and_grad) over (x, amp, dv) that
    serves every gradient check (batches of two). The gradients go through three levels of
    checkpointing of 7 steps each (343 >= 320 steps: padded steps included), the finite
    differences and values through the plain scan, so every check also checks checkpointing."""
    loss, x0, pm, unravel = make_loss(jnp.float64)

    def checkpointed(x, amp, dv):
        return loss(x, amp, dv, levels=(7, 7, 7))

    return {
        "loss": jax.jit(loss),
        "vgrad": jax.jit(jax.vmap(jax.value_and_grad(checkpointed, argnums=(0, 1, 2)))),
        "raw": loss,
        "x0": x0,
        "pm": pm,
        "unravel": unravel,
    }


def batch(x0, x1, amps=(1.0, 1.0), dvs=(0.0, 0.0)):
    return jnp.stack([x0, x1]), jnp.asarray(amps), jnp.asarray(dvs)


def central_differences(loss, x, amp, dv, rel=1e-5):
    """d loss / d (x_i, amp, dv), each with a step relative to the value."""
    z = np.concatenate([np.asarray(x), [amp, dv]])
    out = np.empty_like(z)
    for i in range(z.size):
        h = rel * max(abs(z[i]), 1.0 if i == z.size - 1 else 1e-12)
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        f_up = loss(jnp.asarray(up[:-2]), up[-2], up[-1])
        f_down = loss(jnp.asarray(down[:-2]), down[-2], down[-1])
        out[i] = float(f_up - f_down) / (2 * h)
    return out


def assert_matches_fd(grad, fd, names):
    grad = np.concatenate([np.asarray(grad[0]), [float(grad[1]), float(grad[2])]])
    rel = np.abs(grad - fd) / np.abs(fd)
    worst = int(np.argmax(rel))
    assert np.all(np.abs(fd) > 1e-9), "every parameter must influence the loss"
    assert rel.max() <= 1e-5, (names[worst], grad[worst], fd[worst], rel.max())


def flat_names(pm, unravel):
    """Labels of ``ravel_pytree(pm.init())`` in its order: the params dict flattens with its
    keys sorted, not in the order of the trainables."""
    leaves = jax.tree_util.tree_flatten_with_path(pm.init())[0]
    names = [f"{p[0].key}[{g}]" for p, _ in leaves for g in pm.group_names(p[0].key)]
    return names + ["stimulus amplitude", "initial voltage"]


def test_grad_matches_central_differences_for_every_parameter_kind(f64):
    x0 = f64["x0"]
    _, grads = f64["vgrad"](*batch(x0, x0))
    fd = central_differences(f64["loss"], x0, 1.0, 0.0)
    assert_matches_fd([g[0] for g in grads], fd, flat_names(f64["pm"], f64["unravel"]))


def test_vmap_over_parameter_sets_stimuli_and_initial_states(f64):
    """One vmapped value_and_grad over parameter sets, stimulus amplitudes and initial states:
    every member equals its single run and its own finite differences."""
    x0 = f64["x0"]
    xs, amps, dvs = batch(x0, x0 * jnp.linspace(0.9, 1.1, x0.size), (1.3, 0.8), (-3.0, 2.0))
    values, grads = f64["vgrad"](xs, amps, dvs)
    names = flat_names(f64["pm"], f64["unravel"])
    for i in range(2):
        args = (xs[i], float(amps[i]), float(dvs[i]))
        np.testing.assert_allclose(values[i], f64["loss"](*args), rtol=1e-12)
        assert_matches_fd([g[i] for g in grads], central_differences(f64["loss"], *args), names)


def test_jacfwd_equals_reverse_mode(f64):
    x0 = f64["x0"]
    fwd = jax.jit(jax.jacfwd(f64["raw"], argnums=(0, 1, 2)))(x0, 1.0, 0.0)
    _, rev = f64["vgrad"](*batch(x0, x0))
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a, b[0], rtol=1e-9, atol=1e-14)


def bound_samples(n_params, rng):
    """Points in unconstrained space: the middle, near both bounds, saturated beyond them, and
    random points in between."""
    rows = [np.zeros(n_params), np.full(n_params, -6.0), np.full(n_params, 6.0)]
    rows += [np.full(n_params, -30.0), np.full(n_params, 30.0)]
    rows += list(rng.uniform(-6.0, 6.0, size=(3, n_params)))
    return np.asarray(rows)


# slow (~12 s): float32 gradients are also checked by test_float32_gradients.py and the float32
# configurations of test_grad.py in the default run
@pytest.mark.slow
def test_gradients_finite_across_transform_bounds_float32():
    """hh and pas densities, cm, Ra, radius and length sampled across their transforms'
    ranges (hh densities from 0 to 0.5 / 0.2 / 0.01 S/cm²) and saturated beyond them, in
    float32 with the transforms inside the jitted function: loss and gradients are finite."""
    loss, u0, pm, _ = make_loss(jnp.float32, bounded=True)
    bounded = np.concatenate(
        [np.full(e.n_values, e.name not in ("ena", "e_pas")) for e in pm.entries]
    )
    samples = bound_samples(u0.size, np.random.default_rng(1))
    us = np.where(bounded, samples, np.asarray(u0)[None, :]).astype(np.float32)
    value_and_grad = jax.jit(jax.vmap(jax.value_and_grad(loss), in_axes=(0, None, None)))
    values, grads = value_and_grad(jnp.asarray(us), 1.0, 0.0)
    assert values.dtype == jnp.float32 and grads.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(values))), values
    bad = ~np.isfinite(np.asarray(grads))
    assert not bad.any(), (np.flatnonzero(bad.any(axis=1)), [e.name for e in pm.entries])


def test_gradients_finite_across_transform_bounds_float64(f64):
    """The same points in float64 (physical values from the transforms; the transforms' own
    derivatives are finite, see test_trainable.py)."""
    cell = mixed_cell()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=0.1)
    pm = dx.ParameterMap(system, trainables(cell, bounded=True))
    u0, unravel = ravel_pytree(pm.to_unconstrained(pm.init()))
    bounded = np.concatenate(
        [np.full(e.n_values, e.name not in ("ena", "e_pas")) for e in pm.entries]
    )
    samples = bound_samples(u0.size, np.random.default_rng(1))
    us = np.where(bounded, samples, np.asarray(u0)[None, :])
    xs = [ravel_pytree(pm.from_unconstrained(unravel(jnp.asarray(u))))[0] for u in us]
    for a, b in zip(xs[0::2], xs[1::2]):
        values, grads = f64["vgrad"](*batch(a, b))
        assert np.all(np.isfinite(np.asarray(values))), values
        assert all(np.all(np.isfinite(np.asarray(g))) for g in grads)


@pytest.mark.slow
@pytest.mark.parametrize("levels", [2, 3])
def test_gradient_memory_of_a_long_simulation(levels, tmp_path):
    """The benchmark script at its full size: 1,000 compartments, 40,000 steps, < 2 GB."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[1] / "benchmarks" / "gradient_memory.py"
    out = subprocess.run(
        [sys.executable, str(script), "--single", str(levels)],
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    assert row["grad_finite"]
    assert row["peak_rss_mib"] < 2048


@pytest.mark.slow
def test_transformation_combinations(f64):
    """vmap over each argument alone or in pairs, jit inside or outside, grad of a batched
    loss, jacfwd of a vmap: all agree with single reverse-mode gradients."""
    loss, x0 = f64["raw"], f64["x0"]
    xs, amps, dvs = batch(x0, x0 * 1.05, (1.2, 0.9), (-2.0, 1.0))
    single = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
    grad_all = jax.grad(loss, argnums=(0, 1, 2))
    for in_axes in [(0, None, None), (None, 0, None), (None, None, 0), (0, 0, None)]:
        args = [a if ax == 0 else a[0] for a, ax in zip((xs, amps, dvs), in_axes)]
        for f in (jax.vmap(jax.jit(grad_all), in_axes), jax.jit(jax.vmap(grad_all, in_axes))):
            got = f(*args)
            for i in range(2):
                expect = single(*[a[i] if ax == 0 else a for a, ax in zip(args, in_axes)])
                for a, b in zip(got, expect):
                    np.testing.assert_allclose(a[i], b, rtol=1e-9, atol=1e-14)
    batched = jax.jit(jax.grad(lambda x: jnp.sum(jax.vmap(loss, (None, 0, 0))(x, amps, dvs))))
    np.testing.assert_allclose(
        batched(x0),
        sum(single(x0, amps[i], dvs[i])[0] for i in range(2)),
        rtol=1e-9,
    )
    jac = jax.jit(jax.jacfwd(jax.vmap(loss, (0, None, None))))(xs, 1.0, 0.0)
    for i in range(2):
        np.testing.assert_allclose(jac[i, i], single(xs[i], 1.0, 0.0)[0], rtol=1e-9, atol=1e-14)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_bundled_demo_cell_gradients_finite_across_bounds(dtype):
    """The bundled CA1 cell (hh everywhere): hh densities per region, cm and Ra sampled across
    their bounds; loss and gradients finite."""
    from dendrax._demo import demo_cell

    cell = demo_cell()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=10.0, dtype=dtype)
    pm = dx.ParameterMap(
        system,
        [
            T("gnabar", (dx.HH, "gnabar"), sharing=dx.PerRegion(),
              transform=dx.Sigmoid(0.0, 0.5)),
            T("gkbar", (dx.HH, "gkbar"), sharing=dx.PerRegion(), transform=dx.Sigmoid(0.0, 0.2)),
            T("gl", (dx.HH, "gl"), sharing=dx.PerRegion(), transform=dx.Sigmoid(1e-6, 1e-2)),
            T("cm", "cm", transform=dx.Sigmoid(0.3, 3.0)),
            T("Ra", "Ra", transform=dx.Sigmoid(10.0, 1000.0)),
        ],
    )  # fmt: skip
    u0, unravel = ravel_pytree(pm.to_unconstrained(pm.init()))

    def loss(u):
        r = dx.simulate(pm.apply(system, pm.from_unconstrained(unravel(u))))
        return sum(jnp.mean((r[k] + 60.0) ** 2) for k in r.keys())

    us = jnp.asarray(bound_samples(u0.size, np.random.default_rng(2)), dtype=dtype)
    values, grads = jax.jit(jax.vmap(jax.value_and_grad(loss)))(us)
    assert np.all(np.isfinite(np.asarray(values)))
    assert np.all(np.isfinite(np.asarray(grads)))
