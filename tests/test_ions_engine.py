"""Ions in the engine: concentrations written by a mechanism, Nernst potentials at the start
of every step, ion totals read by mechanisms, NEURON's update order, the errors of set_ion,
and jit / grad / vmap through calcium dynamics. The mechanisms are written here (the library's
Hay set is checked against NEURON in tests/validation/test_channel_cases.py)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.mechanisms import NONSPECIFIC, Channel, nernst

DT, CELSIUS = 0.025, 34.0


class CaLeak(Channel):
    """A calcium conductance reading eca and writing ica (mA/cm²)."""

    name = "test_caleak"
    parameters = {"gbar": (1e-3, "S/cm^2")}
    ion_reads = ("eca",)

    def species_currents(self, v, states, params, celsius):
        return {"ca": params["gbar"] * (v - params["eca"])}


class CaPool(Channel):
    """First-order calcium removal with influx from ica (CaDynamics_E2's equation, but with
    forward Euler, so the test computes it independently)."""

    name = "test_capool"
    parameters = {"gamma": (0.05, "1"), "decay": (80.0, "ms"), "depth": (0.1, "um")}
    ion_reads = ("ica", "cai")
    ion_writes = ("cai",)

    def species_currents(self, v, states, params, celsius):
        return {}

    def current(self, v, states, params, celsius):
        return jnp.zeros_like(v)

    def init_states(self, v, params, celsius):
        return {}

    def update(self, v, states, params, dt, celsius):
        influx = -1e4 * params["gamma"] * params["ica"] / (2 * 96485.33212331001 * params["depth"])
        cai = params["cai"] + dt * (influx - (params["cai"] - 1e-4) / params["decay"])
        return {"cai": cai}


class CaSensor(Channel):
    """A state that relaxes to cai in 1 ms: it must see the cai of the same step's pool."""

    name = "zz_sensor"  # sorted after test_capool: updated after it, as NEURON would
    parameters = {"g": (1e-5, "S/cm^2")}
    states = ("s",)
    ion_reads = ("cai",)

    def gates(self, v, params, celsius):
        return {"s": (params["cai"] * 1e3, jnp.ones_like(v))}

    def species_currents(self, v, states, params, celsius):
        return {NONSPECIFIC: params["g"] * states["s"] * (v + 80.0)}


def ca_cell(**pool):
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1)])
    cell.insert(dx.Pas(g=1e-4, e=-70.0))
    cell.insert(CaLeak(gbar=2e-4))
    cell.insert(CaPool(**pool))
    cell.insert(CaSensor())
    cell.stimulate(dx.IClamp(5.0, 20.0, 0.2), at=(0, 0.5))
    for var in ("v", "cai", "eca", "ica", "s"):
        cell.record(var, at=(0, 0.5), key=var)
    cell.record("test_caleak.ica", at=(0, 0.5), key="ica_mech")
    return cell


def run(cell, t_stop=40.0, **kw):
    return dx.simulate(dx.compile(cell, dt_ms=DT, t_stop_ms=t_stop, celsius=CELSIUS, **kw))


def test_nernst_pool_and_order_follow_neurons_step():
    r = run(ca_cell())
    v, cai, eca, ica, s = (np.asarray(r[k]) for k in ("v", "cai", "eca", "ica", "s"))
    ktf = 1000 * 8.31446261815324 * (CELSIUS + 273.15) / 96485.33212331001
    # eca[k] is the Nernst potential of cai[k-1] (computed at the start of step k-1 -> k)
    expect_e = ktf / 2 * np.log(2.0 / cai)
    np.testing.assert_allclose(eca[1:], expect_e[:-1], rtol=1e-12)
    assert eca[0] == pytest.approx(ktf / 2 * math.log(2.0 / 5e-5), rel=1e-12)
    # ica[k] = gbar (v[k-1] - eca[k]), the current used in that step
    np.testing.assert_allclose(ica[1:], 2e-4 * (v[:-1] - eca[1:]), rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(ica, np.asarray(r["ica_mech"]))
    # the pool integrates the step's ica (forward Euler, written out here)
    influx = -1e4 * 0.05 * ica[1:] / (2 * 96485.33212331001 * 0.1)
    expect_c = cai[:-1] + DT * (influx - (cai[:-1] - 1e-4) / 80.0)
    np.testing.assert_allclose(cai[1:], expect_c, rtol=1e-12)
    # the sensor (updated after the pool) relaxes towards the *new* cai
    expect_s = s[:-1] + (1 - np.exp(-DT)) * (cai[1:] * 1e3 - s[:-1])
    np.testing.assert_allclose(s[1:], expect_s, rtol=1e-12)
    assert cai.max() > 3 * 5e-5  # calcium really flowed in


def test_set_ion_values_and_modes():
    cell = ca_cell()
    cell.set_ion("ca", ci0_mM=1e-4, co0_mM=4.0)
    r = run(cell, t_stop=1.0)
    ktf = 1000 * 8.31446261815324 * (CELSIUS + 273.15) / 96485.33212331001
    assert float(r["cai"][0]) == pytest.approx(1e-4)
    assert float(r["eca"][0]) == pytest.approx(ktf / 2 * math.log(4.0 / 1e-4), rel=1e-12)

    fixed = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1)])
    fixed.insert(CaLeak()).set_ion("ca", erev_mV=120.0)
    fixed.record("eca", at=(0, 0.5), key="eca")
    assert np.all(np.asarray(run(fixed, t_stop=1.0)["eca"]) == 120.0)


def test_ion_errors_name_the_fix():
    cell = ca_cell()
    cell.set_ion("ca", mode="fixed", erev_mV=120.0)
    with pytest.raises(ValueError, match="mode='fixed'.*writes cai/cao.*mode='auto' or 'nernst'"):
        run(cell, t_stop=1.0)
    cell = ca_cell()
    cell.set_ion("ca", erev_mV=120.0)
    with pytest.raises(ValueError, match="Nernst potential.*mode='fixed', erev_mV"):
        run(cell, t_stop=1.0)
    cell = ca_cell()
    cell.set_ion("k", erev_mV=-90.0)
    with pytest.raises(ValueError, match=r"set_ion\('k'\): no mechanism of this model uses k"):
        run(cell, t_stop=1.0)
    with pytest.raises(ValueError, match="must be > 0 mM"):
        ca_cell().set_ion("ca", ci0_mM=0.0)
    with pytest.raises(ValueError, match="mode='kinda'"):
        ca_cell().set_ion("ca", mode="kinda")
    cell = ca_cell()
    cell.record("cai_typo", at=(0, 0.5), key="bad")
    with pytest.raises(ValueError, match="can record.*test_caleak.ica.*ion variables.*eca"):
        run(cell, t_stop=1.0)

    class XPool(CaPool):
        name = "test_xpool"
        ion_reads = ("ix", "xi")
        ion_writes = ("xi",)

    class XChannel(CaLeak):
        name = "test_xchannel"
        ion_reads = ("ex",)

        def species_currents(self, v, states, params, celsius):
            return {"x": params["gbar"] * (v - params["ex"])}

    x = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1)])
    x.insert(XChannel()).insert(XPool())
    with pytest.raises(ValueError, match="has no default for the ion 'x'"):
        run(x, t_stop=1.0)
    x.set_ion("x", ci0_mM=1.0, co0_mM=10.0)
    with pytest.raises(ValueError, match="needs a valence.*ion_valences"):
        run(x, t_stop=1.0)


def test_grad_jit_vmap_through_calcium():
    system = dx.compile(ca_cell(), dt_ms=DT, t_stop_ms=30.0, celsius=CELSIUS)
    pm = dx.ParameterMap(system, [dx.Trainable("gamma", (CaPool, "gamma"))])
    name = "gamma"

    def final_cai(gamma):
        return dx.simulate(pm.apply(system, {name: gamma}))["cai"][-1]

    g0 = jnp.asarray([0.05])
    grad = jax.grad(lambda g: final_cai(g).sum())(g0)
    eps = 1e-6
    fd = (final_cai(g0 + eps) - final_cai(g0 - eps)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-6)
    assert float(grad[0]) > 0
    jitted = jax.jit(final_cai)(g0)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(final_cai(g0)), rtol=1e-13)
    batch = jax.vmap(final_cai)(jnp.asarray([[0.02], [0.05], [0.1]]))
    one = final_cai(jnp.asarray([0.1]))
    np.testing.assert_allclose(np.asarray(batch[2]), np.asarray(one), rtol=1e-12)
    assert float(batch[0]) < float(batch[2])


def test_nernst_helper_matches_the_formula():
    got = float(nernst(5e-5, 2.0, 2, 34.0))
    assert got == pytest.approx(140.2366, abs=1e-4)  # FORMAT_V2.md section 3
    assert float(nernst(1e-4, 2.0, 2, 34.0)) == pytest.approx(131.0634, abs=1e-4)
