"""``dendrax fit`` with nothing but the parameters and their bounds in FIT.json recovers hidden
conductances of a reconstructed spiking cell from a NEURON recording, started 35-100 % away
(docs/fitting.md), as a new user would run it; and NWB files serve as targets.

The recording (tests/fit_defaults/grc_neuron.npz, made by tests/fit_defaults/make_recording.py
with NEURON 9.0.2 from grc_true.json): granule cell grc_202-2-46nj (26 compartments), hh at the
soma, pas in the dendrites, a -0.02 nA then a +0.05 nA somatic step, 100 ms at dt = 0.025 ms,
4 spikes. Hidden: soma gnabar, gkbar, gl and dendritic pas g.
"""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from dendrax.cli import main

HERE = Path(__file__).resolve().parent / "fit_defaults"
TRUE_MODEL = json.loads((HERE / "grc_true.json").read_text())
RECORDING = HERE / "grc_neuron.npz"
FAST_RECORDING = HERE / "grc_neuron_dt0.05_60ms.npz"
TRUE = {"gnabar": 0.12, "gkbar": 0.036, "gl": 3e-4, "g": 5e-5}
# what a user would write: the quantities, where, and generous bounds (2-3 decades)
PARAMETERS = [
    {"name": "gnabar", "quantity": "hh.gnabar", "where": "soma", "bounds": [0.01, 1.0]},
    {"name": "gkbar", "quantity": "hh.gkbar", "where": "soma", "bounds": [0.003, 0.3]},
    {"name": "gl", "quantity": "hh.gl", "where": "soma", "bounds": [1e-5, 3e-3]},
    {"name": "g", "quantity": "pas.g", "where": "basal", "bounds": [1e-6, 1e-3]},
]
# starts 35-100 % away from the truth (factors of the true values)
STARTS = [
    {"gnabar": 1.8, "gkbar": 0.6, "gl": 2.0, "g": 0.5},  # fires at rest: the hardest
    {"gnabar": 0.5, "gkbar": 1.7, "gl": 0.6, "g": 1.9},  # one spike only
    {"gnabar": 0.65, "gkbar": 0.5, "gl": 1.5, "g": 2.0},
    {"gnabar": 2.0, "gkbar": 2.0, "gl": 0.4, "g": 0.4},
]


def start_model(factors: dict, t_stop_ms=None, dt_ms=None, stimuli=True) -> dict:
    """The true model file with the hidden values replaced by a guess (START.json)."""
    model = copy.deepcopy(TRUE_MODEL)
    for b in model["branches"]:
        mechs = b["mechanisms"]
        if "hh" in mechs:
            for q in ("gnabar", "gkbar", "gl"):
                mechs["hh"][q] = TRUE[q] * factors[q]
        if "pas" in mechs:
            mechs["pas"]["g"] = TRUE["g"] * factors["g"]
    if t_stop_ms is not None:
        model["tstop_ms"] = t_stop_ms
    if dt_ms is not None:
        model["dt_ms"] = dt_ms
    if not stimuli:
        model["stimuli"] = []
    return model


def run(tmp_path, model: dict, fit: dict, target=RECORDING, name="fitted") -> dict:
    (tmp_path / "start.json").write_text(json.dumps(model))
    (tmp_path / "fit.json").write_text(json.dumps(fit))
    out = tmp_path / f"{name}.json"
    rc = main(["fit", str(tmp_path / "start.json"), "--target", str(target), "--config",
               str(tmp_path / "fit.json"), "-o", str(out), "--quiet"])  # fmt: skip
    assert rc == 0
    return json.loads((tmp_path / f"{name}.history.json").read_text())


def errors(history: dict) -> dict:
    """Relative error of every fitted parameter."""
    return {k: abs(history["parameters"][k]["fitted"][0] / TRUE[k] - 1) for k in TRUE}


def test_the_fixture_is_a_neuron_recording_that_dendrax_reproduces():
    rec = np.load(RECORDING)
    assert len(rec["spikes__v_soma"]) == 4 and rec["t"][-1] == pytest.approx(100.0)
    import dendrax as dx
    from dendrax.io._model_json import model_from_dict

    cell, options = model_from_dict(TRUE_MODEL)
    assert cell.n_compartments == 26
    v = np.asarray(dx.simulate(dx.compile(cell, **options))["v_soma"])
    assert np.max(np.abs(v - rec["v_soma"])) < 1e-4  # mV


def test_default_fit_recovers_the_hidden_conductances(tmp_path):
    # the hardest start (the cell fires at rest); the NEURON recording at dt = 0.05 ms for
    # 60 ms (2 spikes) keeps this under a minute
    model = start_model(STARTS[0], t_stop_ms=60.0, dt_ms=0.05)
    history = run(tmp_path, model, {"parameters": PARAMETERS}, target=FAST_RECORDING)
    assert history["default_loss"] and history["default_optimizer"]
    assert set(history["phase"]) == {"adam", "lbfgs"}
    err = errors(history)
    assert max(err.values()) < 0.03, err  # plain trace MSE stops at 20-500 % (docs/fitting.md)
    initial = {k: history["parameters"][k]["initial"][0] / TRUE[k] for k in TRUE}
    assert initial == pytest.approx(STARTS[0])
    fitted = json.loads((tmp_path / "fitted.json").read_text())
    assert fitted["branches"][0]["mechanisms"]["hh"]["gnabar"] == pytest.approx(0.12, rel=0.03)


@pytest.mark.slow  # ~2 min per start and configuration on 2 CPU cores
@pytest.mark.parametrize("start", range(len(STARTS)))
def test_full_recording_default_vs_plain_mse(tmp_path, start):
    model = start_model(STARTS[start])
    default = run(tmp_path, model, {"parameters": PARAMETERS}, name="default")
    err = errors(default)
    assert max(err.values()) < 0.02, err
    plain = run(tmp_path, model, {"parameters": [dict(p, scale="linear") for p in PARAMETERS],
                                  "loss": {"type": "mse", "key": "v_soma"},
                                  "optimizer": {"name": "adam", "learning_rate": 0.05},
                                  "steps": 100}, name="plain")  # fmt: skip
    assert max(errors(plain).values()) > 0.2  # what the default improves on
    assert default["best_loss"] < 1e-3 * plain["best_loss"]


def test_missing_pynwb_says_how_to_install(tmp_path, monkeypatch):
    from dendrax.io._fit_config import FitConfigError, load_nwb_target

    monkeypatch.setitem(sys.modules, "pynwb", None)  # import pynwb now raises ImportError
    with pytest.raises(FitConfigError, match=r'pip install "dendrax\[nwb\]"'):
        load_nwb_target(tmp_path / "x.nwb", np.arange(3.0), ["v_soma"])
