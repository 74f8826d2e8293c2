"""Recording currents: every mechanism's currents by NEURON's names (hh.ina, ina_hh, pas.i,
hh.il), ion totals (ina), the total ionic current (i_ion) and NEURON's i_membrane (with the
capacitive current), all as used in the step (one sample after v, FORMAT_V2 section 5)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DT = 0.025


def cell():
    c = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1), dx.BranchGeometry.cylinder(
        100.0, 2.0, 3, parent=0)])  # fmt: skip
    c.insert(dx.HH(), where=c.select(branches=[0]))
    c.insert(dx.Pas(g=1e-4, e=-65.0))
    c.stimulate(dx.IClamp(1.0, 3.0, 0.5), at=(0, 0.5))
    keys = ["v", "hh.ina", "ina_hh", "ina", "hh.ik", "hh.il", "pas.i", "i_ion", "i_membrane"]
    for k in keys:
        c.record(k, at=(0, 0.5), key=k)
    c.record("i_ion", at=(1, 0.5), key="i_ion_dend")
    c.record("pas.i", at=(1, 0.5), key="pas_dend")
    c.record("v", at=(1, 0.5), key="v_dend")
    return c


def test_currents_and_totals():
    system = dx.compile(cell(), dt_ms=DT, t_stop_ms=10.0)
    r = dx.simulate(system)
    d = {k: np.asarray(r[k]) for k in r.keys()}
    np.testing.assert_array_equal(d["ina_hh"], d["hh.ina"])
    np.testing.assert_allclose(d["ina"], d["hh.ina"], rtol=0, atol=1e-15)
    total = d["hh.ina"] + d["hh.ik"] + d["hh.il"] + d["pas.i"]
    np.testing.assert_allclose(d["i_ion"], total, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d["i_ion_dend"], d["pas_dend"], rtol=1e-12, atol=1e-18)
    # pas.i at sample k is g (v[k-1] - e): the current of the step k-1 -> k
    np.testing.assert_allclose(d["pas_dend"][1:], 1e-4 * (d["v_dend"][:-1] + 65.0), rtol=1e-12)
    # i_membrane = i_ion + cm dV/dt (1e-3 mA/cm² per µF/cm² mV/ms)
    i_cap = 1e-3 * np.diff(d["v"]) / DT
    np.testing.assert_allclose(d["i_membrane"][1:], d["i_ion"][1:] + i_cap, rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(d["ina"])) > 0.1  # a spike happened: these are not all zeros


def test_unknown_current_lists_what_exists():
    c = cell()
    c.record("ica", at=(0, 0.5), key="nope")
    with pytest.raises(ValueError, match=r"can record \['v', 'hh.m'.*'hh.ina'.*'pas.i'\]"):
        dx.compile(c, dt_ms=DT, t_stop_ms=1.0)


def test_current_records_under_grad_and_vmap():
    system = dx.compile(cell(), dt_ms=DT, t_stop_ms=5.0)
    pm = dx.ParameterMap(system, [dx.Trainable("gna", (dx.HH, "gnabar"))])

    def peak_ina(g):
        return -jnp.min(dx.simulate(pm.apply(system, {"gna": g}))["ina"])

    g0 = jnp.asarray([0.12])
    grad = jax.grad(peak_ina)(g0)
    eps = 1e-6
    fd = (peak_ina(g0 + eps) - peak_ina(g0 - eps)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-4)
    batch = jax.vmap(peak_ina)(jnp.asarray([[0.08], [0.12]]))
    np.testing.assert_allclose(float(batch[1]), float(peak_ina(g0)), rtol=1e-12)
