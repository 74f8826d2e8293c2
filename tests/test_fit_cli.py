"""``dendrax fit``: round trip (simulate target -> fit -> simulate fitted), the fitted model
file, the history and plot, and errors in FIT.json that name the field and the fix."""

import copy
import json

import numpy as np
import pytest

import dendrax as dx
from dendrax.cli import main
from dendrax.io._fit_config import FitConfigError, fit_config_from_dict, load_target
from dendrax.io._fitted_model import fitted_model_dict
from dendrax.io._model_json import model_from_dict


def branch(name, parent, length, ncomp, diam, mechanisms, swc_type):
    return {"name": name, "parent": parent, "parent_x": 1.0, "length_um": length,
            "ncomp": ncomp, "diam_um": [diam] * ncomp, "Ra_ohm_cm": 100.0, "cm_uF_cm2": 1.0,
            "mechanisms": mechanisms, "swc_type": swc_type}  # fmt: skip


MODEL = {
    "format": "neuroref-case/1",
    "celsius": 6.3,
    "v_init_mV": -65.0,
    "dt_ms": 0.05,
    "tstop_ms": 12.0,
    "method": {"name": "backward_euler"},
    "branches": [
        branch("soma", -1, 20.0, 1, 20.0, {"hh": {}}, 1),
        branch("dend", 0, 150.0, 3, 2.0, {"pas": {"g": 1e-4, "e": -65.0}}, 3),
        branch("dend2", 0, 100.0, 2, 1.5, {"pas": {"g": 1e-4, "e": -65.0}}, 3),
    ],
    "stimuli": [
        {"type": "iclamp", "branch": 0, "x": 0.5, "delay_ms": 1.0, "dur_ms": 10.0, "amp_nA": 0.25}
    ],  # fmt: skip
    "recordings": [
        {"key": "v_soma", "var": "v", "branch": 0, "x": 0.5},
        {"key": "v_dend", "var": "v", "branch": 1, "x": 1.0},
    ],
}

FIT = {
    "format": "dendrax-fit/1",
    "parameters": [
        {
            "name": "gk",
            "quantity": "hh.gkbar",
            "where": "soma",
            "bounds": [0.01, 0.1],
            "init": 0.05,
        },
        {"quantity": "cm", "where": "basal", "sharing": "branch", "bounds": [0.5, 2.0]},
        {"quantity": "radius", "where": {"branches": [1]}, "sharing": "compartment"},
    ],  # fmt: skip
    "loss": [
        {"type": "mse", "key": "v_soma", "weight": 1.0},
        {"type": "mse", "key": "v_dend", "window_ms": [0.0, 12.0], "weight": 0.5},
        {"type": "spike_count", "key": "v_soma", "weight": 0.1},
    ],
    "optimizer": {"name": "adam", "learning_rate": 0.08},
    "steps": 60,
    "early_stopping": {"patience": 15, "min_delta": 1e-5},
}


def write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def test_simulate_fit_simulate_round_trip(tmp_path, capsys):
    model = write(tmp_path / "model.json", MODEL)
    assert main(["simulate", model, "-o", str(tmp_path / "target.npz")]) == 0
    fit = write(tmp_path / "fit.json", FIT)
    out = tmp_path / "fitted.json"
    rc = main(["fit", model, "--target", str(tmp_path / "target.npz"), "--config", fit,
               "-o", str(out), "--quiet"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    history = json.loads((tmp_path / "fitted.history.json").read_text())
    assert (tmp_path / "fitted.png").stat().st_size > 10_000
    loss = np.asarray(history["loss"])
    assert history["best_loss"] == loss.min() < 0.01 * loss[0]
    fitted_gk = history["parameters"]["gk"]["fitted"][0]
    assert fitted_gk == pytest.approx(0.036, rel=0.02)
    assert history["parameters"]["cm"]["groups"] == ["branch 1", "branch 2"]
    assert len(history["parameters"]["radius"]["fitted"]) == 3

    fitted = json.loads(out.read_text())  # same layout, fitted values written per branch
    assert fitted["branches"][0]["mechanisms"]["hh"] == {"gkbar": fitted_gk}
    cm = history["parameters"]["cm"]["fitted"]
    assert [fitted["branches"][b]["cm_uF_cm2"] for b in (1, 2)] == cm
    radius = history["parameters"]["radius"]["fitted"]
    assert fitted["branches"][1]["diam_um"] == [2 * r for r in radius]
    unchanged = copy.deepcopy(MODEL)
    for b in range(3):
        for f in ("cm_uF_cm2", "diam_um", "mechanisms"):
            unchanged["branches"][b][f] = fitted["branches"][b][f]
    assert fitted == unchanged

    assert main(["simulate", str(out), "-o", str(tmp_path / "refit.npz")]) == 0
    target, refit = np.load(tmp_path / "target.npz"), np.load(tmp_path / "refit.npz")
    rms = np.sqrt(np.mean((refit["v_soma"] - target["v_soma"]) ** 2))
    assert rms < 0.5  # mV
    assert len(refit["spikes__v_soma"]) == len(target["spikes__v_soma"]) >= 1
    assert "fitted 3 parameter(s)" in capsys.readouterr().out


@pytest.fixture(scope="module")
def model_cell():
    cell, _ = model_from_dict(MODEL)
    return cell


def with_param(**changes):
    data = copy.deepcopy(FIT)
    data["parameters"] = [dict(FIT["parameters"][0], **changes)]
    return data


BAD = [
    ({"parameters": []}, "parameters must be a non-empty list"),
    ({**FIT, "learning_rate": 0.1}, r"unknown field\(s\) \['learning_rate'\]"),
    ({**FIT, "format": "dendrax-fit/9"}, "not supported"),
    (with_param(wher="soma"), r"parameters\[0\]: unknown field\(s\) \['wher'\]"),
    (with_param(quantity="hh.gbar"), r"parameters\[0\].quantity.*no parameter 'gbar'"),
    (with_param(quantity="kdr.gbar"), "with a mechanism among"),
    (with_param(quantity=3), "must be a string"),
    (with_param(where="apical"), r"parameters\[0\].where.*no region"),
    (with_param(where={"branches": [7]}), "branch 7 does not exist"),
    (with_param(where={"branch": [1]}), r"unknown field\(s\) \['branch'\]"),
    (with_param(sharing="compartment"), 'per branch.*use "branch"'),
    (with_param(sharing="cell"), "sharing='cell'"),
    (with_param(sharing={"groups": []}), "non-empty list"),
    (with_param(bounds=[0.1, 0.01]), "lower bound must be below"),
    (with_param(bounds={"upper": 1}), r"use \[lower, upper\]"),
    (with_param(init="big"), r"parameters\[0\].init must be a number"),
    ({**FIT, "parameters": [FIT["parameters"][0]] * 2}, "more than once"),
    ({**FIT, "loss": {"type": "mse", "key": "v_axon"}}, "available keys are"),
    ({**FIT, "loss": {"type": "l1", "key": "v_soma"}}, r"loss\[0\].type='l1'"),
    ({**FIT, "loss": {"key": "v_soma", "window_ms": [5, 1]}}, "start must be before stop"),
    ({**FIT, "loss": {"key": "v_soma", "width_mV": 0}}, r"width_mV must be > 0"),
    ({**FIT, "optimizer": {"name": "newton"}}, r"optimizer.name='newton'"),
    ({**FIT, "optimizer": {"name": "adam", "learning_rate": -1}}, "learning_rate must be > 0"),
    ({**FIT, "steps": 0}, "steps must be an integer >= 1"),
    ({**FIT, "early_stopping": {"patience": 1.5}}, "patience must be an integer"),
    ({**FIT, "checkpoint_levels": 0}, "checkpoint_levels must be an integer >= 1"),
    ([], "JSON object"),
]


@pytest.mark.parametrize("data, match", BAD)
def test_bad_fit_config_names_the_field(model_cell, data, match):
    with pytest.raises(FitConfigError, match=match):
        fit_config_from_dict(data, model_cell, ["v_soma", "v_dend"])


def test_defaults(model_cell):
    config = fit_config_from_dict(
        {"parameters": [{"quantity": "pas.g"}, {"quantity": "pas.e"}]}, model_cell, ["v_soma"]
    )
    assert [t.name for t in config.trainables] == ["pas.g", "pas.e"]
    assert config.trainables[0].transform == dx.Softplus()  # S/cm² densities stay positive
    assert config.trainables[1].transform == dx.Identity()  # reversal potentials are free
    # the default loss and optimiser (docs/fitting.md; tests/test_fit_defaults*.py)
    assert [(term.kind, term.key) for term in config.loss] == [
        ("mse", "v_soma"), ("windowed_mean", "v_soma"), ("windowed_std", "v_soma")
    ]  # fmt: skip
    assert [(p.name, p.steps) for p in config.phases] == [("adam", 100), ("lbfgs", 200)]
    assert config.patience is None and config.n_starts == 1
    one = fit_config_from_dict(
        {"parameters": [{"quantity": "pas.g"}], "optimizer": {"name": "adam"}}, model_cell,
        ["v_soma"],
    )  # fmt: skip
    assert one.steps == 100 and one.optimizer_spec == {"name": "adam", "learning_rate": 0.05}


def flat_target(path, t_stop_ms=12.0):
    t = np.arange(round(t_stop_ms / 0.05) + 1) * 0.05
    np.savez(path, t=t, v_soma=np.full(t.size, -65.0), v_dend=np.full(t.size, -65.0))
    return str(path)


def test_cli_errors_without_traceback(tmp_path, capsys):
    model = write(tmp_path / "model.json", MODEL)
    good, short = flat_target(tmp_path / "good.npz"), flat_target(tmp_path / "short.npz", 5.0)
    np.savez(tmp_path / "no_t.npz", v_soma=np.zeros(3))
    config = write(tmp_path / "fit.json", FIT)
    (tmp_path / "broken.json").write_text("{not json")
    cases = [
        (config, short, "covers 0-5 ms but the model runs 0-12 ms"),
        (config, str(tmp_path / "no_t.npz"), "no 't' array"),
        (config, str(tmp_path / "none.npz"), "does not exist"),
        (str(tmp_path / "none.json"), good, "does not exist"),
        (str(tmp_path / "broken.json"), good, "not valid JSON"),
        (write(tmp_path / "bad.json", with_param(init=0.5)), good, "inside (0.01, 0.1)"),
    ]
    for config, target, match in cases:
        rc = main(["fit", model, "--target", target, "--config", config,
                   "-o", str(tmp_path / "f.json")])  # fmt: skip
        err = capsys.readouterr().err
        assert rc == 2 and match in err and "Traceback" not in err, err


def test_target_on_another_grid_is_interpolated(tmp_path):
    t = np.linspace(0.0, 20.0, 81)
    np.savez(tmp_path / "x.npz", t=t, v=2 * t, spikes__v=np.array([1.0]))
    out = load_target(tmp_path / "x.npz", np.arange(0.0, 10.0 + 1e-9, 0.05))
    assert set(out) == {"v"}
    np.testing.assert_allclose(out["v"], 2 * np.arange(0.0, 10.0 + 1e-9, 0.05), atol=1e-12)


def test_fitted_model_refuses_values_a_model_file_cannot_hold(model_cell):
    system = dx.compile(model_cell, dt_ms=0.05, t_stop_ms=0.1)
    per_comp = dx.ParameterMap(system,
                               [dx.Trainable("cm", "cm", sharing=dx.PerCompartment())])  # fmt: skip
    with pytest.raises(ValueError, match="per branch"):
        fitted_model_dict(MODEL, model_cell, system, per_comp, {"cm": np.arange(6.0) + 1})
    one = dx.Selection(np.array([1]))
    part = dx.ParameterMap(system, [dx.Trainable("cm", "cm", where=one)])
    with pytest.raises(ValueError, match="part of branch 1"):
        fitted_model_dict(MODEL, model_cell, system, part, {"cm": np.array([2.0])})
    same = fitted_model_dict(MODEL, model_cell, system, per_comp, {"cm": np.full(6, 2.0)})
    assert [b["cm_uF_cm2"] for b in same["branches"]] == [2.0, 2.0, 2.0]
