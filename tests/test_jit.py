"""``jax.jit(dx.simulate)`` equals eager ``dx.simulate`` over models x methods x tree solvers x
dtypes (registries in helpers.py; the full product with ``-m slow``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import JIT_SIMULATE, KEYS, case, configs

import dendrax as dx

# mV. float64: round-off (worst measured over the full product 3e-13 mV). float32: eager and
# jitted code round differently and spikes amplify it (worst measured 7e-4 mV, at a spike).
ATOL_MV = {"float64": 1e-10, "float32": 5e-3}


@pytest.mark.parametrize("config", configs())
def test_jit_equals_eager(config, record_property):
    """Every recording and the final state; the soma spikes (the traces are not trivial)."""
    c = case(config)
    eager = dx.simulate(c.system)
    jitted = JIT_SIMULATE(c.system)
    np.testing.assert_array_equal(jitted.t, eager.t)
    diffs = {}
    for key in KEYS:
        a, b = np.asarray(jitted[key]), np.asarray(eager[key])
        assert a.dtype == b.dtype == jnp.dtype(c.dtype), (key, a.dtype)
        assert a.shape == (c.system.n_steps + 1,)
        assert np.all(np.isfinite(a)) and np.all(np.isfinite(b)), key
        diffs[key] = float(np.max(np.abs(a - b)))
    for a, b in zip(jax.tree.leaves(jitted.final_state), jax.tree.leaves(eager.final_state)):
        diffs["final state"] = max(diffs.get("final state", 0.0), float(np.max(np.abs(a - b))))
    record_property("max_abs_diff_mV", max(diffs.values()))
    assert max(diffs.values()) <= ATOL_MV[config.dtype], diffs
    assert float(np.max(eager["v_a"])) > 0.0, "the soma must spike within the run"
    assert float(eager["v_a"][0]) == pytest.approx(-65.0)
