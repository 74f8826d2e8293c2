"""The single-electrode voltage clamp (NEURON's SEClamp): levels at step midpoints, the
implicit clamp current, switching off, recording, errors, and jit / grad / vmap (fitting a
conductance to voltage-clamp data). Agreement with NEURON: tests/validation/test_channel_cases.py
(ch_*_seclamp cases)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DT = 0.025
G_PAS, E_PAS = 1e-3, -70.0  # S/cm², mV
AREA = np.pi * 20.0 * 20.0  # µm²


def clamped(rs=2.0, levels=((-70.0, 5.0), (-20.0, 10.0), (-50.0, 5.0))):
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1)])
    cell.insert(dx.Pas(g=G_PAS, e=E_PAS))
    cell.stimulate(dx.SEClamp.levels(levels, rs_MOhm=rs), at=(0, 0.5), key="vc")
    cell.record("v", at=(0, 0.5), key="v")
    cell.record("i", at=(0, 0.5), key="i_clamp", mechanism="vc")
    cell.record("pas.i", at=(0, 0.5), key="i_pas")
    return cell


def test_levels_current_and_switch_off():
    rs = 2.0
    r = dx.simulate(dx.compile(clamped(rs), dt_ms=DT, t_stop_ms=30.0, v_init_mV=-70.0))
    t, v, i = np.asarray(r.t), np.asarray(r["v"]), np.asarray(r["i_clamp"])
    g_m = G_PAS * AREA * 1e-2  # µS
    # steady state on the -20 mV level: V = (vc/rs + g_m e) / (1/rs + g_m), i = (vc - V)/rs
    k = np.searchsorted(t, 14.9)
    v_ss = (-20.0 / rs + g_m * E_PAS) / (1.0 / rs + g_m)
    assert v[k] == pytest.approx(v_ss, abs=1e-6)
    assert i[k] == pytest.approx((-20.0 - v_ss) / rs, rel=1e-6)
    # the clamp current balances the leak at steady state (nA = mA/cm² * area * 1e-2)
    assert i[k] == pytest.approx(float(r["i_pas"][k]) * AREA * 1e-2, rel=1e-6)
    # sample 0 is (amp1 - v_init)/rs; after 20 ms the clamp is off: no current
    assert i[0] == 0.0
    assert np.all(i[t > 20.0 + DT] == 0.0)
    # off: the cell relaxes from about -50 mV back down to e_pas
    assert v[np.searchsorted(t, 20.0)] > -51.0
    assert abs(v[-1] - E_PAS) < 0.01
    # the level of a step is its midpoint's: the first -20 mV step is the one from 5.0 ms
    k5 = int(round(5.0 / DT))
    assert abs(v[k5] - (-70.0)) < 1e-9 and v[k5 + 1] > -60.0


def test_errors():
    with pytest.raises(ValueError, match="rs_MOhm=0.*must be > 0"):
        dx.SEClamp(rs_MOhm=0.0)
    with pytest.raises(ValueError, match="dur2_ms=-1.*>= 0"):
        dx.SEClamp(dur2_ms=-1.0)
    with pytest.raises(ValueError, match="one to three"):
        dx.SEClamp.levels([(0, 1)] * 4)
    cell = clamped()
    with pytest.raises(ValueError, match="already used"):
        cell.stimulate(dx.SEClamp(), at=(0, 0.5), key="vc")
    with pytest.raises(ValueError, match="names a voltage clamp"):
        cell.stimulate(dx.IClamp(0, 1, 0.1), at=(0, 0.5), key="x")
    cell.record("m", at=(0, 0.5), key="bad", mechanism="vc")
    with pytest.raises(ValueError, match="records its current 'i'"):
        dx.compile(cell, dt_ms=DT, t_stop_ms=1.0)


def test_fit_a_conductance_to_clamp_data_grad_jit_vmap():
    system = dx.compile(clamped(), dt_ms=DT, t_stop_ms=20.0, v_init_mV=-70.0)
    pm = dx.ParameterMap(system, [dx.Trainable("g", (dx.Pas, "g"))])
    target = dx.simulate(system)["i_clamp"]

    def loss(g):
        i = dx.simulate(pm.apply(system, {"g": g}))["i_clamp"]
        return jnp.mean((i - target) ** 2)

    g1 = jnp.asarray([1.5e-3])
    grad = jax.grad(loss)(g1)
    eps = 1e-9
    fd = (loss(g1 + eps) - loss(g1 - eps)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-5)
    assert float(grad[0]) > 0  # too much leak: the gradient points back down
    assert float(jax.jit(loss)(jnp.asarray([G_PAS]))) < 1e-20
    batch = jax.vmap(loss)(jnp.asarray([[5e-4], [1e-3], [2e-3]]))
    assert float(batch[1]) < 1e-20 < float(batch[0]) and float(batch[2]) > 0
    np.testing.assert_allclose(float(batch[2]), float(loss(jnp.asarray([2e-3]))), rtol=1e-12)
