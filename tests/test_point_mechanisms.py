"""Point mechanisms (nA, µS): placed at locations, repeated sites add up, and the event hook
(NMODL's NET_RECEIVE) applied before the voltage step of the step an event arrives in."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DIAM, LENGTH = 20.0, 20.0
AREA = np.pi * DIAM * LENGTH  # µm²


class PointLeak(dx.PointMechanism):
    """i = g (v - e): g in µS, so i in nA."""

    name = "point_leak"
    parameters = {"g": (0.001, "uS"), "e": (-70.0, "mV")}

    def current(self, v, states, params, celsius):
        return params["g"] * (v - params["e"])


class DecayingSynapse(dx.PointMechanism):
    """g jumps by the event weight (µS) and decays with tau (ms), exactly; i = g (v - e)."""

    name = "decaying_synapse"
    parameters = {"tau": (2.0, "ms"), "e": (0.0, "mV")}
    states = ("g",)

    def init_states(self, v, params, celsius):
        return {"g": jnp.zeros_like(v)}

    def update(self, v, states, params, dt, celsius):
        return {"g": states["g"] * jnp.exp(-dt / params["tau"])}

    def current(self, v, states, params, celsius):
        return states["g"] * (v - params["e"])

    def on_event(self, states, params, weight):
        return {"g": states["g"] + weight}


def soma():
    cell = dx.Cell([dx.BranchGeometry.cylinder(LENGTH, DIAM, 1, kind="soma")])
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(1.0, 3.0, 0.3), at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v")
    return cell


def test_a_point_leak_equals_the_same_density_leak():
    g_density = 2e-4  # S/cm²
    dense = soma().insert(dx.Pas(g=g_density, e=-60.0))
    point = soma()
    half = 0.01 * AREA * g_density / 2  # µS; two instances on one compartment add up
    point.place(PointLeak(g=half, e=-60.0), at=(0, 0.5))
    point.place(PointLeak(g=half, e=-60.0), at=(0, 0.5))
    a = dx.simulate(dx.compile(dense, dt_ms=0.025, t_stop_ms=10.0))
    b = dx.simulate(dx.compile(point, dt_ms=0.025, t_stop_ms=10.0))
    np.testing.assert_allclose(b["v"], a["v"], rtol=0, atol=1e-9)
    no_leak = dx.simulate(dx.compile(soma(), dt_ms=0.025, t_stop_ms=10.0))
    assert float(jnp.max(jnp.abs(a["v"] - no_leak["v"]))) > 0.1


def synapse_system(two_inputs=False):
    cell = soma()
    cell.placements.clear()
    cell.place(DecayingSynapse(tau=2.0), at=(0, 0.5), key="syn", events="spikes")
    cell.place(DecayingSynapse(tau=5.0), at=(0, 0.5), key="quiet")
    if two_inputs:
        cell.place(DecayingSynapse(tau=2.0), at=(0, 0.5), key="syn2", events="more")
    cell.record("g", (0, 0.5), key="g", mechanism="syn")
    cell.record("g", (0, 0.5), key="g_quiet", mechanism="quiet")
    return dx.compile(cell, dt_ms=0.025, t_stop_ms=5.0)


def test_an_event_acts_from_the_step_it_arrives_in():
    system = synapse_system()
    k, w = 40, 0.002
    r = dx.simulate(system, {"spikes": jnp.zeros(system.n_steps).at[k].set(w)})
    g = np.asarray(r["g"])
    dt, tau = 0.025, 2.0
    assert np.all(g[: k + 1] == 0.0)  # sample k is taken before step k
    expected = w * np.exp(-dt / tau * np.arange(1, system.n_steps - k + 1))
    np.testing.assert_allclose(g[k + 1 :], expected, rtol=1e-12)
    assert np.all(np.asarray(r["g_quiet"]) == 0.0)  # the instance without events
    v = np.asarray(r["v"])
    assert v[k + 1] > v[k] + 1e-3  # depolarised by the jump within the same step


def test_event_weights_are_differentiable():
    system = synapse_system()

    def peak_v(w):
        return jnp.max(
            dx.simulate(system, {"spikes": jnp.zeros(system.n_steps).at[10].set(w)})["v"]
        )

    g = jax.grad(peak_v)(0.01)
    eps = 1e-6
    fd = (peak_v(0.01 + eps) - peak_v(0.01 - eps)) / (2 * eps)
    np.testing.assert_allclose(float(g), float(fd), rtol=1e-5)
    assert float(g) > 0


def test_recording_a_point_mechanism_state_needs_its_key():
    cell = soma()
    cell.place(DecayingSynapse(), at=(0, 0.5), key="syn")
    cell.record("x", (0, 0.5), key="bad", mechanism="syn")
    with pytest.raises(ValueError, match="has no state 'x'"):
        dx.compile(cell, dt_ms=0.025, t_stop_ms=1.0)


def test_insert_and_place_refuse_the_other_kind():
    cell = soma()
    with pytest.raises(TypeError, match="cell.place"):
        cell.insert(PointLeak())
    with pytest.raises(TypeError, match="cell.insert"):
        cell.place(dx.Pas(), at=(0, 0.5))
    cell.place(PointLeak(), at=(0, 0.5), key="a")
    with pytest.raises(ValueError, match="already used"):
        cell.place(PointLeak(), at=(0, 0.5), key="a")


def test_a_mechanism_without_a_current_is_refused():
    class NoCurrent(dx.PointMechanism):
        name = "no_current"

    with pytest.raises(TypeError, match="current\\(\\) or species_currents\\(\\)"):
        NoCurrent()


def test_point_parameters_are_trainable():
    system = synapse_system()
    pm = dx.ParameterMap(system, [dx.Trainable("tau", (DecayingSynapse, "tau"),
                                               sharing=dx.PerCompartment())])  # fmt: skip
    assert pm.group_names("tau") == ("compartment 0",)
    out = pm.apply(system, {"tau": 3.0})
    assert np.asarray(out.mechanisms[1].params["tau"]).tolist() == [3.0, 3.0]
