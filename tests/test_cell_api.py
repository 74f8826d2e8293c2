"""The Python description API: stimuli timing, custom channels, selections, errors, float32."""

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx


def passive_compartment(stimuli):
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.set_cable(cm_uF_cm2=1.0).insert(dx.Pas(g=1e-3, e=-70.0))
    for s in stimuli:
        cell.stimulate(s, at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v")
    return cell


def backward_euler_reference(dt, n_steps, current_at):
    """Independent NumPy recursion: C (V' - V)/dt = -g A (V' - e) + I(t_n + dt/2)."""
    area_cm2 = np.pi * 20.0 * 20.0 * 1e-8
    c_uF, g_S = 1.0 * area_cm2, 1e-3 * area_cm2
    v = [-65.0]
    for n in range(n_steps):
        i_mA = current_at((n + 0.5) * dt) * 1e-6
        c_mA_per_mV = c_uF * 1e-3 / dt
        v.append((c_mA_per_mV * v[-1] + g_S * -70.0 + i_mA) / (c_mA_per_mV + g_S))
    return np.array(v)


def test_overlapping_step_and_waveform_match_independent_recursion():
    wave_t, wave_i = [0.0, 4.0, 6.0, 10.0], [0.0, 0.3, -0.2, 0.0]
    stimuli = [dx.IClamp(1.0, 5.0, 0.1), dx.IClamp(3.0, 2.0, -0.05), dx.Waveform(wave_t, wave_i)]

    def current(t):
        on1 = 0.1 if 1.0 <= t < 6.0 else 0.0
        on2 = -0.05 if 3.0 <= t < 5.0 else 0.0
        return on1 + on2 + np.interp(t, wave_t, wave_i)

    dt = 0.025
    res = dx.simulate(dx.compile(passive_compartment(stimuli), dt_ms=dt, t_stop_ms=10.0))
    expected = backward_euler_reference(dt, 400, current)
    np.testing.assert_allclose(res["v"], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.t, np.arange(401) * dt, atol=1e-12)


class Kslow(dx.Channel):
    """The worked example of docs/channels.md."""

    name = "kslow"
    parameters = {"gbar": (0.003, "S/cm^2"), "ek": (-90.0, "mV")}
    states = ("n",)

    def gates(self, v, p, celsius):
        inf = 1.0 / (1.0 + jnp.exp(-(v + 35.0) / 10.0))
        tau = 100.0 / (1.0 + jnp.exp(-(v + 50.0) / 20.0))
        return {"n": (inf, tau)}

    def current(self, v, s, p, celsius):
        return p["gbar"] * s["n"] * (v - p["ek"])


def test_custom_channel_gate_follows_exponential_euler():
    cell = passive_compartment([dx.IClamp(0.0, 50.0, 0.5)])
    cell.insert(Kslow(gbar=0.01))
    cell.record("n", (0, 0.5), key="n")
    res = dx.simulate(dx.compile(cell, dt_ms=0.1, t_stop_ms=50.0))
    v, n = np.asarray(res["v"]), np.asarray(res["n"])
    inf = 1 / (1 + np.exp(-(v + 35) / 10))
    tau = 100 / (1 + np.exp(-(v + 50) / 20))
    assert n[0] == pytest.approx(1 / (1 + np.exp(-(-65 + 35) / 10)), rel=1e-12)
    # n[k+1] from n[k] with the gates evaluated at the new voltage v[k+1]
    predicted = n[:-1] + (1 - np.exp(-0.1 / tau[1:])) * (inf[1:] - n[:-1])
    np.testing.assert_allclose(n[1:], predicted, rtol=1e-12)
    assert n[-1] > 1.5 * n[0]  # the depolarisation opened the channel


def test_channel_rejects_unknown_parameter():
    with pytest.raises(ValueError, match=r"no parameter\(s\) \['gnbar'\].*valid parameters"):
        dx.HH(gnbar=0.1)


def test_selection_by_region_distance_and_group():
    cell = branched_cell()
    assert len(cell.select(kind="soma")) == 1
    assert len(cell.select(kind="basal")) == 5
    near = cell.select(distance_um=(0.0, 60.0))
    assert 0 in near.indices and len(near) < cell.n_compartments
    cell.add_group("tips", cell.select(branches=[3, 4]))
    assert len(cell.select(group="tips")) == 10
    assert len(cell.select(kind="apical") - cell.select(group="tips")) == 15
    with pytest.raises(ValueError, match="no region"):
        cell.select(kind="dendrite")
    with pytest.raises(ValueError, match="branch 9 does not exist"):
        cell.select(branches=[9])


def test_bad_locations_and_times():
    cell = branched_cell()
    with pytest.raises(ValueError, match="outside"):
        cell.stimulate(dx.IClamp(0, 1, 1), at=(0, 1.2))
    with pytest.raises(ValueError, match="does not exist"):
        cell.record("v", at=(17, 0.5))
    with pytest.raises(ValueError, match="not an integer multiple"):
        dx.compile(cell, dt_ms=0.025, t_stop_ms=10.01)
    with pytest.raises(ValueError, match="must be > 0"):
        dx.compile(cell, dt_ms=0.0, t_stop_ms=10.0)
    with pytest.raises(ValueError, match="must be a finite number"):
        dx.IClamp(1.0, 2.0, float("nan"))
    with pytest.raises(ValueError, match=r"i_nA\[1\]"):
        dx.Waveform([0, 1], [0, float("nan")])


def test_float32_keeps_float64_spikes():
    cell = branched_cell()
    r64 = dx.simulate(dx.compile(cell, dt_ms=0.025, t_stop_ms=15.0))
    r32 = dx.simulate(dx.compile(cell, dt_ms=0.025, t_stop_ms=15.0, dtype=jnp.float32))
    assert r32["v_soma"].dtype == jnp.float32
    from dendrax.io._recordings import spike_times

    s64 = spike_times(np.asarray(r64.t), np.asarray(r64["v_soma"]))
    s32 = spike_times(np.asarray(r32.t), np.asarray(r32["v_soma"]))
    assert len(s64) >= 1 and len(s32) == len(s64)
    np.testing.assert_allclose(s32, s64, atol=0.01)
