"""simulate caches its compiled program: a repeated call with other values does not retrace,
and metadata that grows with the model (branch names) is not part of the jitted structure."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx

TRACES = []


class CountedLeak(dx.Channel):
    """A leak that counts how often it is traced (its current runs only while tracing)."""

    name = "counted_leak"
    parameters = {"g": (1e-4, "S/cm^2"), "e": (-65.0, "mV")}

    def current(self, v, states, params, celsius):
        TRACES.append(1)
        return params["g"] * (v - params["e"])


def cell(names=("soma", "dend")):
    bg = dx.BranchGeometry.cylinder
    c = dx.Cell([bg(20.0, 20.0, 1, kind="soma", name=names[0]),
                 bg(100.0, 2.0, 4, parent=0, kind="apical", name=names[1])])  # fmt: skip
    c.insert(CountedLeak())
    c.stimulate(dx.IClamp(1.0, 2.0, 0.1), at=(0, 0.5))
    c.record("v", (1, 1.0), key="v")
    return c


def test_repeated_calls_reuse_the_compiled_program():
    system = dx.compile(cell(), dt_ms=0.025, t_stop_ms=2.0)
    first = dx.simulate(system)
    n = len(TRACES)
    assert n > 0
    other = eqx.tree_at(lambda s: s.Ra_ohm_cm, system, system.Ra_ohm_cm * 2.0)
    second = dx.simulate(other)
    again = dx.simulate(system)
    assert len(TRACES) == n  # no new trace, so no new compilation
    assert not np.allclose(first["v"], second["v"])
    np.testing.assert_array_equal(np.asarray(first.data), np.asarray(again.data))


def test_branch_names_are_not_in_the_jitted_structure():
    a = dx.compile(cell(("soma", "dend")), dt_ms=0.025, t_stop_ms=2.0)
    b = dx.compile(cell(("s", "apical_trunk_17")), dt_ms=0.025, t_stop_ms=2.0)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    n = len(TRACES)
    dx.simulate(a)
    dx.simulate(b)
    assert len(TRACES) <= n + 1  # at most one trace for both (none if already cached)
    assert float(jnp.max(dx.simulate(b)["v"])) > -65.0


def test_default_checkpointing_stores_every_step_only_for_small_states():
    """One level (every step stored) below 1,000 steps, unless the stored states would exceed
    STORED_VALUES_ONE_LEVEL values (a large network): then two levels, product >= n_steps."""
    from dendrax.solve._simulate import STORED_VALUES_ONE_LEVEL, checkpoint_levels_for

    assert checkpoint_levels_for(500, None, 100) == (500,)
    big = STORED_VALUES_ONE_LEVEL // 500 + 1
    sizes = checkpoint_levels_for(500, None, big)
    assert len(sizes) == 2 and sizes[0] * sizes[1] >= 500
    assert checkpoint_levels_for(500, 1, big) == (500,)  # an explicit choice is kept
    assert len(checkpoint_levels_for(4000, None, 100)) == 2
