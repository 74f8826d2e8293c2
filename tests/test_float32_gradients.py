"""float32 gradients against float64 gradients: how close they are, measured, with the bound
set from the measurement.

The model, loss and parameters are those of test_fd_gradients.py (its float64 gradient matches
central differences to ~3e-8), here with backward Euler and the HinesLevels tree solver, the
float32 setting meant for accelerators. Both gradients are taken at the same point (the float32
initial values, widened to float64), so only the arithmetic differs.

Measured on CPU (jax 0.10.2, XLA CPU, 2 cores), at the initial values, 2026-12-01:

* loss: relative difference 1.0e-6 (~10 float32 ulps);
* gradient as sensitivities ``x_i dL/dx_i`` (one unit for every parameter): relative 2-norm
  difference 7.2e-6;
* per component, over the components that carry >= 1 % of the largest sensitivity: worst
  2.2e-4.

The bounds are these values x 3 (``SAFETY``). Before hh's ``vtrap`` had a float32 branch (it
used float64's series only within 1e-5 mV of the singularity at v = -40 mV for alpha_m and
-55 mV for alpha_n, where ``exp(u) - 1`` cancels in float32 and the derivative loses
``~eps/u^2``), the same measurement gave 5.5e-7, 1.14e-3 and 2.7e-2, and at one of eight random
points within +-3 % of the initial values the sensitivity difference was 0.75.
``test_hh_rate_derivatives_near_the_removable_singularities_float32`` checks the gate
derivatives near those singularities.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_fd_gradients import configured

import dendrax as dx

CONFIG = "BE-levels"
SAFETY = 3.0
MEASURED = {  # at the initial values, CONFIG, CPU; see the module docstring
    "loss_rel": 1.03e-6,
    "sensitivity_norm_rel": 7.2e-6,
    "component_rel": 2.2e-4,  # components with >= 1 % of the largest sensitivity
}
BIG_COMPONENT = 1e-2


def test_float32_gradient_agrees_with_float64():
    vg64, _, names = configured(CONFIG)
    vg32, x32, _ = configured(CONFIG, jnp.float32)
    v32, g32 = vg32(x32)
    assert v32.dtype == jnp.float32 and g32.dtype == jnp.float32
    x = np.asarray(x32, dtype=np.float64)
    v64, g64 = vg64(jnp.asarray(x))
    g32, g64 = np.asarray(g32, dtype=np.float64), np.asarray(g64)
    assert np.all(np.isfinite(g32))

    loss_rel = abs(float(v32) - float(v64)) / abs(float(v64))
    s32, s64 = x * g32, x * g64
    norm_rel = float(np.linalg.norm(s32 - s64) / np.linalg.norm(s64))
    big = np.abs(s64) >= BIG_COMPONENT * np.abs(s64).max()
    rel = np.abs(g32 - g64) / np.abs(g64)
    worst = int(np.argmax(np.where(big, rel, 0.0)))
    got = {"loss_rel": loss_rel, "sensitivity_norm_rel": norm_rel, "component_rel": rel[worst]}
    over = {k: v for k, v in got.items() if v > SAFETY * MEASURED[k]}
    assert not over, (over, names[worst], g32[worst], g64[worst])


def _gate_derivatives(gate, v, dtype):
    """d(inf)/dv and d(tau)/dv of an hh gate at the voltages ``v`` (mV), public API only."""
    hh = dx.HH()
    params = {k: jnp.asarray(d, dtype) for k, (d, _) in hh.parameters.items()}

    def part(i):
        return jax.vmap(jax.grad(lambda u: hh.gates(u, params, 6.3)[gate][i]))

    v = jnp.asarray(v, dtype)
    return [np.asarray(jax.jit(part(i))(v), dtype=np.float64) for i in (0, 1)]


@pytest.mark.parametrize("gate, v_singular", [("m", -40.0), ("n", -55.0)])
def test_hh_rate_derivatives_near_the_removable_singularities_float32(gate, v_singular):
    """d(inf)/dv and d(tau)/dv of hh's gate from 1 mV to 1e-4 mV on either side of alpha's
    removable singularity: float32 within 1e-4 of float64, relative to the derivative's largest
    magnitude over the sweep (d tau_m/dv passes near 0 at -39 mV, where a pointwise relative
    error only measures cancellation: 2.9e-4 of 1.9e-4 ms/mV). With the float64 form of vtrap
    in float32 this was (worst of inf and tau) 1.9e-3 at +1 mV, 1.8e-2 at 0.1 mV, 2.5 at
    0.01 mV, 170 at 1e-3 mV, 3.8e4 at 1e-4 mV (m); with the float32 branch (series for
    |u| < 1e-2, expm1 beyond) it is <= 2e-5 (measured 2026-12-01)."""
    dvs = np.array([1.0, 0.3, 1e-1, 1e-2, 1e-3, 1e-4, -1e-3, -1e-2, -0.3, -1.0])
    d64 = _gate_derivatives(gate, v_singular + dvs, jnp.float64)
    d32 = _gate_derivatives(gate, v_singular + dvs, jnp.float32)
    bad = [
        f"d{what}/dv at {v_singular}+{dv:g} mV: {b:.6g} (float32) vs {a:.6g}"
        for what, a64, a32 in zip(("inf", "tau"), d64, d32)
        for dv, a, b in zip(dvs, a64, a32)
        if abs(b - a) > 1e-4 * np.abs(a64).max()
    ]
    assert not bad, "; ".join(bad)
