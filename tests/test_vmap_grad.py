"""``jax.vmap(jax.grad(loss))`` over parameter sets (through ``dx.ParameterMap``) equals the loop
of single gradients, over models x methods x tree solvers x dtypes (registries in helpers.py;
the full product with ``-m slow``)."""

import numpy as np
import pytest
from helpers import case, configs, stack

# |p (batched - single) dL/dp| over the largest |p dL/dp| of each parameter set; worst measured
# over the full product: float64 3e-12, float32 7e-4
RTOL = {"float64": 1e-9, "float32": 5e-3}


@pytest.mark.parametrize("config", configs())
def test_vmap_of_grad_equals_loop_of_grads(config, record_property):
    c = case(config)
    batch = c.batch(3)
    batched = c.vmap_grad(stack(batch))
    singles = [c.jit_grad(p) for p in batch]
    assert set(batched) == set(c.pm.names)
    worst = 0.0
    for i, (p, single) in enumerate(zip(batch, singles)):
        sens = {k: np.asarray(single[k]) * np.asarray(p[k]) for k in single}
        scale = max(float(np.max(np.abs(s))) for s in sens.values())
        for k in single:
            b = np.asarray(batched[k][i])
            assert b.dtype == c.params[k].dtype and np.all(np.isfinite(b)), k
            err = np.max(np.abs((b - np.asarray(single[k])) * np.asarray(p[k]))) / scale
            worst = max(worst, float(err))
    record_property("max_err_over_scale", worst)
    assert worst <= RTOL[config.dtype]
    # the members differ: the batch is not one parameter set repeated
    first, last = singles[0]["hh.gnabar"], singles[-1]["hh.gnabar"]
    assert float(np.max(np.abs(first - last))) > 1e-3 * float(np.max(np.abs(first)))
