"""``jax.vmap`` of a simulation over parameter sets (through ``dx.ParameterMap``) and over
stimulus amplitudes equals the loop of single runs, over models x methods x tree solvers x
dtypes (registries in helpers.py; the full product with ``-m slow``).

Stimuli are not trainables of a ParameterMap; until ``simulate`` takes inputs, the batch over
stimulus amplitudes is a batch of Systems compiled from cells with scaled stimuli, stacked along
the leaves in which they differ (only the stimulus currents) and vmapped with matching in_axes.
"""

import jax
import numpy as np
import pytest
from helpers import JIT_SIMULATE, KEYS, case, configs, stack, stack_differing

import dendrax as dx

# mV. float64: round-off (worst measured over the full product 6e-13 mV). float32: batched and
# single kernels round differently and spikes amplify it (worst measured 6e-4 mV).
ATOL_MV = {"float64": 1e-9, "float32": 5e-3}
AMPS = (0.7, 1.0, 1.3)


def assert_batch_matches(batched, singles, atol, record_property):
    worst = 0.0
    for key in KEYS:
        b = np.asarray(batched[key])
        assert b.shape[0] == len(singles) and np.all(np.isfinite(b)), key
        for i, single in enumerate(singles):
            worst = max(worst, float(np.max(np.abs(b[i] - np.asarray(single[key])))))
        # the members differ: the batch is not one run repeated
        assert float(np.max(np.abs(b[0] - b[-1]))) > 0.1, key
    record_property("max_abs_diff_mV", worst)
    assert worst <= atol


@pytest.mark.parametrize("config", configs())
def test_vmap_over_parameter_sets(config, record_property):
    c = case(config)
    batch = c.batch(3)
    batched = c.vmap_traces(stack(batch))
    singles = [c.run(p) for p in batch]
    assert_batch_matches(batched, singles, ATOL_MV[config.dtype], record_property)


@pytest.mark.parametrize("config", configs())
def test_vmap_over_stimulus_amplitudes(config, record_property):
    c = case(config)
    systems = [c.with_amplitude(a) for a in AMPS]
    stacked, in_axes, n_stacked = stack_differing(systems)
    assert n_stacked >= 1, "the Systems must differ in their stimuli"
    batched = jax.jit(jax.vmap(dx.simulate, in_axes=(in_axes,)))(stacked)
    singles = [JIT_SIMULATE(s) for s in systems]
    assert_batch_matches(batched, singles, ATOL_MV[config.dtype], record_property)
