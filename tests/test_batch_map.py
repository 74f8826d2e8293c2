"""dendrax.batch_map: a vmap whose batch is shared across devices (jax.shard_map)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx


@pytest.fixture(scope="module")
def sweep():
    cell = dx.Cell([dx.BranchGeometry.cylinder(length_um=100.0, diam_um=2.0, ncomp=4)])
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(delay_ms=1.0, dur_ms=3.0, amp_nA=0.05), at=(0, 0.0))
    cell.record("v", at=(0, 1.0), key="v")
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=8.0)
    pm = dx.ParameterMap(system, [dx.Trainable("gnabar", (dx.HH, "gnabar"))])
    base = pm.init()
    batch = {"gnabar": base["gnabar"][None, :] * jnp.linspace(0.6, 1.4, 7)[:, None]}
    return system, pm, batch


def test_equals_vmap_with_and_without_chunks(sweep):
    system, pm, batch = sweep

    def run(p):
        return dx.simulate(pm.apply(system, p))["v"]

    want = jax.vmap(run)(batch)
    for chunk in (None, 1, 3, 7, 10):  # 7 members: chunks that divide, pad, and exceed
        got = dx.batch_map(run, chunk_size=chunk)(batch)
        # Same arithmetic; XLA may compile other batch widths with other instruction choices
        # (chunk 1 measured 1 ulp apart), so round-off level, not bitwise, equality.
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-12, err_msg=f"chunk {chunk}")
    assert float(jnp.ptp(want[:, -1])) > 0  # the members really differ


# slow (~15 s): grad and vmap through batch_map with shared arguments; the default run keeps
# test_equals_vmap_with_and_without_chunks and the two-device test
@pytest.mark.slow
def test_shared_arguments_grad_and_vmap(sweep):
    system, pm, batch = sweep

    def peak(p, scale):
        return jnp.max(dx.simulate(pm.apply(system, p))["v"]) * scale

    mapped = dx.batch_map(peak, in_axes=(0, None), chunk_size=2)
    np.testing.assert_allclose(mapped(batch, 2.0), jax.vmap(peak, (0, None))(batch, 2.0))
    g = jax.grad(lambda s: mapped(batch, s).sum())(2.0)
    np.testing.assert_allclose(g, jax.vmap(peak, (0, None))(batch, 1.0).sum(), rtol=1e-12)
    gp = jax.grad(lambda p: mapped(p, 1.0).sum())(batch)["gnabar"]
    gv = jax.grad(lambda p: jax.vmap(peak, (0, None))(p, 1.0).sum())(batch)["gnabar"]
    np.testing.assert_allclose(gp, gv, rtol=1e-10)
    outer = jax.vmap(lambda s: mapped(batch, s))(jnp.array([1.0, 3.0]))
    np.testing.assert_allclose(outer[1], 3.0 * outer[0], rtol=1e-12)


def test_clear_errors():
    f = dx.batch_map(lambda a, b: a + b)
    with pytest.raises(ValueError, match="disagree on the batch size"):
        f(jnp.zeros(3), jnp.zeros(4))
    with pytest.raises(ValueError, match="must be 0 or None"):
        dx.batch_map(lambda a: a, in_axes=1)(jnp.zeros((2, 3)))
    with pytest.raises(ValueError, match="no argument is batched"):
        dx.batch_map(lambda a: a, in_axes=None)(jnp.zeros(3))
    with pytest.raises(ValueError, match="scalar leaf"):
        dx.batch_map(lambda a: a)(1.0)
    with pytest.raises(ValueError, match="chunk_size"):
        dx.batch_map(lambda a: a, chunk_size=0)
    with pytest.raises(ValueError, match="2 entries for 1 arguments"):
        dx.batch_map(lambda a: a, in_axes=(0, None))(jnp.zeros(3))
    with pytest.raises(ValueError, match="positive integer"):
        dx.use_cpu_cores(0)
    jnp.zeros(1).block_until_ready()  # JAX is running: too late to change the device count
    with pytest.raises(RuntimeError, match="before JAX runs anything"):
        dx.use_cpu_cores(2)


def test_two_cpu_devices_share_the_batch():
    """In a fresh process with 2 CPU devices: same result as vmap, output spread over both."""
    code = textwrap.dedent(
        """
        import json
        import dendrax as dx
        dx.use_cpu_cores(2)
        import jax, jax.numpy as jnp
        f = lambda x: jnp.cumsum(jnp.sin(x * jnp.arange(50.0)))
        xs = jnp.linspace(0.0, 1.0, 10)  # 5 per device, padded to chunks of 2: 6 per device
        out = dx.batch_map(f, chunk_size=2)(xs)
        print(json.dumps({
            "devices": len(jax.devices()),
            "used": len(out.sharding.device_set),
            "split": not out.sharding.is_fully_replicated,
            "max_diff": float(jnp.abs(out - jax.vmap(f)(xs)).max()),
            "shape": list(out.shape),
        }))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_NUM_CPU_DEVICES"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["devices"] == 2 and res["shape"] == [10, 50] and res["max_diff"] == 0.0
    assert res["used"] == 2 and res["split"], res  # the result lives in halves on both devices
