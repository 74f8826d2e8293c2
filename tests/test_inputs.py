"""Inputs passed to simulate per call: named current waveforms (dx.CurrentInput)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx


def cell_with_input(amp=None):
    cell = branched_cell("mixed")
    cell.placements.clear()
    if amp is None:
        cell.stimulate(dx.CurrentInput("drive"), at=(0, 0.5))
    else:
        cell.stimulate(dx.IClamp(2.0, 6.0, amp), at=(0, 0.5))
    return cell


@pytest.fixture(scope="module")
def system():
    return dx.compile(cell_with_input(), dt_ms=0.025, t_stop_ms=10.0)


def step_current(system, amp):
    t = system.step_midpoints_ms()
    return jnp.where((t >= 2.0) & (t < 8.0), amp, 0.0)


def test_current_input_equals_the_same_iclamp(system):
    clamp = dx.simulate(dx.compile(cell_with_input(0.5), dt_ms=0.025, t_stop_ms=10.0))
    given = dx.simulate(system, {"drive": step_current(system, 0.5)})
    np.testing.assert_allclose(given["v_soma"], clamp["v_soma"], rtol=0, atol=1e-12)
    assert float(jnp.max(given["v_soma"])) > 0.0


def test_vmap_over_inputs_equals_single_runs(system):
    amps = jnp.array([0.0, 0.2, 0.5])
    batch = jax.vmap(lambda a: dx.simulate(system, {"drive": step_current(system, a)})["v_tip"])(
        amps
    )
    for k, a in enumerate(amps):
        single = dx.simulate(system, {"drive": step_current(system, a)})["v_tip"]
        np.testing.assert_allclose(batch[k], single, rtol=0, atol=1e-10)


def test_grad_with_respect_to_the_input_matches_finite_differences(system):
    def loss(amp):
        return jnp.mean(dx.simulate(system, {"drive": step_current(system, amp)})["v_tip"])

    g = jax.grad(loss)(0.1)
    eps = 1e-5
    fd = (loss(0.1 + eps) - loss(0.1 - eps)) / (2 * eps)
    assert abs(float(fd)) > 1e-3
    np.testing.assert_allclose(float(g), float(fd), rtol=1e-6)


def test_input_errors_name_the_fix(system):
    with pytest.raises(ValueError, match="missing: \\['drive'\\]"):
        dx.simulate(system)
    with pytest.raises(ValueError, match="unknown: \\['driv'\\]"):
        dx.simulate(system, {"drive": 0.0, "driv": 0.0})
    with pytest.raises(ValueError, match=f"shape \\({system.n_steps},\\)"):
        dx.simulate(system, {"drive": jnp.zeros(7)})
    with pytest.raises(TypeError, match="dict"):
        dx.simulate(system, [0.0])
    with pytest.raises(ValueError, match="letters"):
        dx.CurrentInput("my drive")


def test_a_scalar_input_is_a_constant_current(system):
    a = dx.simulate(system, {"drive": 0.05})
    b = dx.simulate(system, {"drive": jnp.full(system.n_steps, 0.05)})
    np.testing.assert_array_equal(np.asarray(a.data), np.asarray(b.data))


def test_positional_initial_state_still_works_with_a_warning():
    system = dx.compile(cell_with_input(0.5), dt_ms=0.025, t_stop_ms=2.0)
    first = dx.simulate(system)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        again = dx.simulate(system, first.final_state)
    assert any("initial=state" in str(x.message) for x in w)
    keyword = dx.simulate(system, initial=first.final_state)
    np.testing.assert_array_equal(np.asarray(again.data), np.asarray(keyword.data))
    assert int(again.final_state.step) == 2 * system.n_steps
