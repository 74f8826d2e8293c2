"""The optax fitting loop: recovery of known parameters, early stopping, callbacks, clear
errors for diverged simulations and non-finite losses or gradients."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx


def soma_cell():
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(1.0, 8.0, 0.2), at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v")
    return cell


def test_fit_recovers_known_conductances():
    cell = soma_cell()
    system = dx.compile(cell, dt_ms=0.05, t_stop_ms=10.0)
    target = dx.simulate(system)["v"]  # gkbar = 0.036, gl = 0.0003 S/cm²
    pm = dx.ParameterMap(
        system,
        [
            dx.Trainable("gk", (dx.HH, "gkbar"), init=0.05, transform=dx.Sigmoid(0.01, 0.1)),
            dx.Trainable("gl", (dx.HH, "gl"), init=5e-4, transform=dx.Sigmoid(1e-5, 1e-3)),
        ],
    )

    def loss(p):
        return dx.mse(dx.simulate(pm.apply(system, p))["v"], target)

    steps = []
    result = dx.fit(
        loss,
        pm.init(),
        optax.adam(0.1),
        150,
        parameter_map=pm,
        patience=25,
        progress=False,
        callback=lambda k, value, p: steps.append(k),
    )
    assert result.params["gk"][0] == pytest.approx(0.036, rel=0.01)
    assert result.params["gl"][0] == pytest.approx(3e-4, rel=0.05)
    assert result.best_loss < 1e-3 * result.history[0]
    assert result.best_loss == result.history.min() == result.history[result.best_step]
    assert steps == list(range(result.history.size))
    assert isinstance(result.params["gk"], np.ndarray)
    assert set(result.last_params) == {"gk", "gl"}


def quadratic(p):
    return jnp.sum((p["x"] - 2.0) ** 2)


def test_early_stopping_and_history():
    result = dx.fit(quadratic, {"x": jnp.array([0.0])}, optax.sgd(0.1), 500, progress=False,
                    patience=5, min_delta=1e-3)  # fmt: skip
    assert result.stopped_early
    k = result.history.size
    assert k < 500
    improvements = -np.diff(result.history)
    assert np.all(improvements[-5:] <= 1e-3 + 1e-12)  # the last `patience` steps: no progress
    assert result.params["x"][0] == pytest.approx(2.0, abs=0.05)
    full = dx.fit(quadratic, {"x": jnp.array([0.0])}, optax.sgd(0.1), 20, progress=True)
    assert not full.stopped_early and full.history.size == 20
    assert np.all(np.diff(full.history) < 0)


def test_callback_stops_and_transform_dicts():
    # a dict of transforms keeps x inside (0, 1) although the optimum lies outside
    result = dx.fit(quadratic, {"x": jnp.array([0.5])}, optax.adam(0.5), 200, progress=False,
                    parameter_map={"x": dx.Sigmoid(0.0, 1.0)},
                    callback=lambda k, loss, p: k == 9)  # fmt: skip
    assert result.history.size == 10 and result.stopped_early
    assert 0.5 < result.params["x"][0] < 1.0


def test_nan_loss_raises_naming_the_parameters():
    def loss(p):
        return jnp.log(p["a"]) + jnp.sum(p["b"] ** 2)  # a < 0 after one step: NaN

    with pytest.raises(dx.SimulationDiverged, match="diverged at step") as info:
        dx.fit(loss, {"a": jnp.array(0.5), "b": jnp.ones(3)}, optax.sgd(1.0), 50, progress=False)
    err = info.value
    assert err.step >= 1 and err.history.size == err.step
    assert "a = " in str(err) and "b = " in str(err) and "Bound the parameters" in str(err)
    assert float(err.params["a"]) < 0


def test_diverging_simulation_raises_with_the_values():
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma"),
                    dx.BranchGeometry.cylinder(100.0, 1.0, 4, parent=0, kind="basal")])  # fmt: skip
    cell.insert(dx.HH())
    cell.record("v", (0, 0.5), key="v")
    system = dx.compile(cell, dt_ms=0.05, t_stop_ms=3.0)
    # an unbounded capacitance, started negative in the dendrite: the simulation blows up
    pm = dx.ParameterMap(system, [dx.Trainable("cm", "cm", sharing=dx.PerRegion(), init=[-1, 1])])

    def loss(p):
        return jnp.mean(dx.simulate(pm.apply(system, p))["v"] ** 2)

    with pytest.raises(dx.SimulationDiverged, match=r"(?s)step 0.*loss is nan.*cm = \[-1\.  1\.\]"):
        dx.fit(loss, pm.init(), optax.sgd(0.01), 10, parameter_map=pm, progress=False)


def test_nonfinite_gradient_names_the_parameter():
    def loss(p):
        return jnp.sqrt(jnp.abs(p["b"])) + p["a"] ** 2  # infinite slope at b = 0

    with pytest.raises(dx.SimulationDiverged, match=r"non-finite gradient of \['b'\]"):
        dx.fit(loss, {"a": 1.0, "b": 0.0}, optax.sgd(0.1), 5, progress=False)


def test_argument_errors():
    p = {"x": jnp.array([0.0])}
    with pytest.raises(ValueError, match="steps"):
        dx.fit(quadratic, p, optax.sgd(0.1), 0)
    with pytest.raises(ValueError, match="patience"):
        dx.fit(quadratic, p, optax.sgd(0.1), 5, patience=0)
    with pytest.raises(TypeError, match="optax"):
        dx.fit(quadratic, p, "adam", 5)
    with pytest.raises(ValueError, match="bounds"):
        dx.fit(quadratic, {"x": jnp.array([1.0])}, optax.sgd(0.1), 5,
               parameter_map={"x": dx.Sigmoid(0.0, 1.0)})  # fmt: skip
    with pytest.raises(TypeError, match="Transform"):
        dx.fit(quadratic, p, optax.sgd(0.1), 5, parameter_map={"x": "sigmoid"})


def test_check_finite_names_the_recording_and_time():
    cell = soma_cell()
    cell.record("v", (0, 0.5), key="v_again")
    system = dx.compile(cell, dt_ms=0.05, t_stop_ms=2.0)
    result = dx.simulate(system)
    dx.check_finite(result)  # a healthy run passes
    broken = dict(result.traces)
    broken["v"] = broken["v"].at[10:].set(jnp.nan)
    with pytest.raises(dx.SimulationDiverged, match=r"'v' from t = 0.5 ms"):
        dx.check_finite(broken, result.t)
    with pytest.raises(TypeError):
        dx.check_finite([1.0])
