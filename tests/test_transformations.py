"""simulate under jit, grad (against central finite differences) and vmap."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx


@pytest.fixture(scope="module")
def system():
    return dx.compile(branched_cell("mixed"), dt_ms=0.025, t_stop_ms=15.0)


def test_jit_equals_eager(system):
    eager = dx.simulate(system)
    jitted = jax.jit(dx.simulate)(system)
    np.testing.assert_allclose(jitted["v_tip"], eager["v_tip"], rtol=0, atol=1e-10)
    assert float(jnp.max(eager["v_soma"])) > 0.0  # the soma spikes


# (name, getter) of leaves of every parameter kind
LEAVES = {
    "gnabar": lambda s: s.mechanisms[0].params["gnabar"],
    "ena": lambda s: s.mechanisms[0].params["ena"],
    "g_pas": lambda s: s.mechanisms[1].params["g"],
    "cm": lambda s: s.cm_uF_cm2,
    "Ra": lambda s: s.Ra_ohm_cm,
    "diam": lambda s: s.diam_um,
    "length": lambda s: s.length_um,
}


def test_grad_matches_central_differences(system):
    """One multiplier per parameter kind; every component of the gradient against central
    differences (float64, relative error <= 1e-5)."""
    names = sorted(LEAVES)
    getters = [LEAVES[n] for n in names]
    bases = [get(system) for get in getters]

    @jax.jit
    def loss(k):
        s = eqx.tree_at(lambda s: [get(s) for get in getters], system,
                        [b * k[i] for i, b in enumerate(bases)])  # fmt: skip
        r = dx.simulate(s)
        return jnp.mean((r["v_tip"] + 50.0) ** 2) + jnp.mean(r["v_soma"])

    ones = jnp.ones(len(names))
    grad = jax.jit(jax.grad(loss))(ones)
    eps = 1e-5
    for i, name in enumerate(names):
        e = jnp.zeros(len(names)).at[i].set(eps)
        fd = float((loss(ones + e) - loss(ones - e)) / (2 * eps))
        assert abs(fd) > 1e-6, f"{name}: the loss must depend on the parameter"
        assert abs(float(grad[i]) - fd) <= 1e-5 * abs(fd), (name, float(grad[i]), fd)


def test_vmap_over_parameters_and_stimuli(system):
    gna = system.mechanisms[0].params["gnabar"]
    scales = jnp.array([0.5, 1.0, 1.5])

    def run(k, amp):
        s = eqx.tree_at(lambda s: s.mechanisms[0].params["gnabar"], system, gna * k)
        s = eqx.tree_at(lambda s: s.stimuli.current_nA, s, s.stimuli.current_nA * amp)
        return dx.simulate(s)["v_soma"]

    amps = jnp.array([0.5, 1.0, 2.0])
    batched = jax.jit(jax.vmap(run))(scales, amps)
    for i in range(3):
        np.testing.assert_allclose(batched[i], run(scales[i], amps[i]), rtol=0, atol=1e-9)


def test_vmap_of_grad(system):
    gna = system.mechanisms[0].params["gnabar"]

    def loss(k):
        s = eqx.tree_at(lambda s: s.mechanisms[0].params["gnabar"], system, gna * k)
        return jnp.mean(dx.simulate(s)["v_soma"])

    ks = jnp.array([0.9, 1.1])
    batched = jax.jit(jax.vmap(jax.grad(loss)))(ks)
    single = [jax.grad(loss)(k) for k in ks]
    np.testing.assert_allclose(batched, single, rtol=1e-10)
