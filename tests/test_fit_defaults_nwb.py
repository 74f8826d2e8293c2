"""NWB files as targets of ``dendrax fit``: a CurrentClampSeries with its stimulus (written
here with pynwb from the NEURON recording of tests/test_fit_defaults.py) is read in mV and ms,
mapped to a model recording, and its stimulus drives the model; errors name the series."""

import datetime
import json

import numpy as np
import pytest
from helpers import leak_mod
from test_fit_defaults import FAST_RECORDING, PARAMETERS, TRUE, run, start_model

pynwb = pytest.importorskip("pynwb", reason="NWB targets need the optional package pynwb")


def write_nwb(path, *, stimulus=True, names=("sweep_1",), table=True):
    """The NEURON recording (dt = 0.05 ms, 60 ms) as an NWB file: CurrentClampSeries (V) and the
    stimulus (A) of the step protocol, sampled at the recording's 20 kHz."""
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    rec = np.load(FAST_RECORDING)
    k = np.arange(rec["t"].size)  # sample k holds the current of [k dt, (k + 1) dt)
    current = np.where((k >= 100) & (k < 500), -0.02, 0.0)  # 5-25 ms
    current += np.where(k >= 700, 0.05, 0.0)  # from 35 ms (to 95 ms, after the recording)
    nwb = NWBFile(
        session_description="dendrax test",
        identifier="grc-test",
        session_start_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    )
    device = nwb.create_device(name="amplifier")
    electrode = nwb.create_icephys_electrode(name="soma_electrode", description="somatic patch",
                                             device=device)  # fmt: skip
    for k, name in enumerate(names):
        kw = {"electrode": electrode, "gain": 1.0, "rate": 20_000.0, "starting_time": 1.5,
              "sweep_number": np.uint32(k)}  # fmt: skip
        response = CurrentClampSeries(name=name, data=rec["v_soma"] * 1e-3, **kw)
        if stimulus:
            stim = CurrentClampStimulusSeries(name=f"stim_{name}", data=current * 1e-9, **kw)
            if table:
                nwb.add_intracellular_recording(electrode=electrode, stimulus=stim,
                                                response=response)  # fmt: skip
            else:
                nwb.add_acquisition(response)
                nwb.add_stimulus(stim)
        else:
            nwb.add_acquisition(response)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


@pytest.mark.parametrize("table", [True, False])
def test_nwb_round_trip(tmp_path, table):
    from dendrax.io._nwb import read_current_clamp

    rec = np.load(FAST_RECORDING)
    out = read_current_clamp(write_nwb(tmp_path / "rec.nwb", table=table))
    sweep = out["sweep_1"]
    np.testing.assert_allclose(sweep.t_ms, rec["t"], atol=1e-9)  # from 0, in ms
    np.testing.assert_allclose(sweep.v_mV, rec["v_soma"], rtol=1e-12)
    assert sweep.stimulus_name == "stim_sweep_1" and sweep.electrode == "soma_electrode"
    assert sweep.stimulus_nA.max() == pytest.approx(0.05) and sweep.stimulus_nA.min() == -0.02


def test_nwb_stimulus_drives_the_model(tmp_path):
    # the model file has no stimuli: only the NWB stimulus, injected at the recording site, can
    # make the model reproduce the NEURON recording
    import dendrax as dx
    from dendrax._fit_command import _with_stimuli
    from dendrax.io._fit_config import load_nwb_target
    from dendrax.io._model_json import model_from_dict

    model = start_model({k: 1.0 for k in TRUE}, t_stop_ms=60.0, dt_ms=0.05, stimuli=False)
    t = np.arange(1201) * 0.05
    target = load_nwb_target(write_nwb(tmp_path / "rec.nwb"), t, ["v_soma"])
    assert target.series == {"v_soma": "sweep_1"} and len(target.stimuli) == 1
    _, t_break, i_break = target.stimuli[0]
    assert len(t_break) == 8  # a step sampled at dt: 3 changes, each a vertical jump
    cell = _with_stimuli(model, target.stimuli, model_from_dict)
    _, options = model_from_dict(model)
    v = np.asarray(dx.simulate(dx.compile(cell, **options))["v_soma"])
    np.testing.assert_allclose(target.traces["v_soma"], np.load(FAST_RECORDING)["v_soma"])
    assert np.max(np.abs(v - target.traces["v_soma"])) < 1e-6  # mV
    unstimulated, _ = model_from_dict(model)
    rest = np.asarray(dx.simulate(dx.compile(unstimulated, **options))["v_soma"])
    assert np.max(np.abs(rest - target.traces["v_soma"])) > 50


@pytest.mark.slow  # one `dendrax fit` run (two compilations of the gradient), ~1 min
def test_fit_command_on_an_nwb_target(tmp_path):
    target = write_nwb(tmp_path / "rec.nwb")
    model = start_model({k: 1.0 for k in TRUE}, t_stop_ms=60.0, dt_ms=0.05, stimuli=False)
    fit = {"parameters": PARAMETERS, "optimizer": {"name": "adam", "learning_rate": 1e-9},
           "steps": 1}  # fmt: skip
    history = run(tmp_path, model, fit, target=target)
    assert history["loss"][0] < 1e-8  # mV²: the NWB stimulus drove the model
    assert history["target_series"] == {"v_soma": "sweep_1"}
    fitted = json.loads((tmp_path / "fitted.json").read_text())
    assert fitted["stimuli"] == []  # the fitted model is the model file, values written in


def test_fit_command_reports_nwb_errors(tmp_path, capsys):
    from dendrax.cli import main

    target = write_nwb(tmp_path / "two.nwb", names=("a", "b"))
    model = start_model({k: 1.0 for k in TRUE}, t_stop_ms=60.0, dt_ms=0.05)
    (tmp_path / "m.json").write_text(json.dumps(model))
    (tmp_path / "f.json").write_text(json.dumps({"parameters": PARAMETERS}))
    rc = main(["fit", str(tmp_path / "m.json"), "--target", str(target), "--config",
               str(tmp_path / "f.json"), "-o", str(tmp_path / "o.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and '"target_series": {"v_soma": "a"}' in err and "Traceback" not in err


def test_nwb_errors_name_the_series(tmp_path, capsys):
    from dendrax.io._fit_config import FitConfigError, load_nwb_target

    t = np.arange(0, 1201) * 0.05
    two = write_nwb(tmp_path / "two.nwb", names=("a", "b"))
    with pytest.raises(FitConfigError, match=r"cannot tell which CurrentClampSeries \(\["):
        load_nwb_target(two, t, ["v_soma"])
    with pytest.raises(FitConfigError, match=r"target_series.v_soma='c'.*it has \['a', 'b'\]"):
        load_nwb_target(two, t, ["v_soma"], {"v_soma": "c"})
    with pytest.raises(FitConfigError, match="'v_dend' is not a voltage recording"):
        load_nwb_target(two, t, ["v_soma"], {"v_dend": "a"})
    picked = load_nwb_target(two, t, ["v_soma"], {"v_soma": "b"})
    assert picked.series == {"v_soma": "b"} and picked.stimuli[0][0] == "v_soma"
    bare = load_nwb_target(write_nwb(tmp_path / "bare.nwb", stimulus=False), t, ["v_soma"])
    assert bare.stimuli == ()
    long = np.arange(0, 1300) * 0.05
    with pytest.raises(FitConfigError, match="covers 0-60 ms but the model runs 0-64.95 ms"):
        load_nwb_target(two, long, ["v_soma"], {"v_soma": "a"})
    (tmp_path / "junk.nwb").write_text("not hdf5")
    with pytest.raises(FitConfigError, match="not a readable NWB file"):
        load_nwb_target(tmp_path / "junk.nwb", t, ["v_soma"])


LEAK_MOD = leak_mod("dxleak")


def test_nwb_stimuli_keep_the_model_files_mod_files_relative_to_the_model(tmp_path, monkeypatch):
    # `dendrax fit` with an NWB stimulus rebuilds the cell from the model dict: its mod_files
    # must still resolve against the model file's folder, not the current directory
    from dendrax._fit_command import _with_stimuli
    from dendrax.io._model_json import ModelFileError, model_from_dict

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "leak.mod").write_text(LEAK_MOD)
    model = start_model({k: 1.0 for k in TRUE}, t_stop_ms=60.0, dt_ms=0.05, stimuli=False)
    model["mod_files"] = ["leak.mod"]
    model["branches"][0]["mechanisms"]["dxleak"] = {"g": 2e-5}
    stimuli = [("v_soma", np.array([0.0, 5.0, 5.0]), np.array([0.0, 0.0, 0.01]))]
    monkeypatch.chdir(tmp_path)  # not the model's folder
    cell = _with_stimuli(model, stimuli, model_from_dict, folder)
    assert "dxleak" in [ins.channel.name for ins in cell.insertions]
    with pytest.raises(ModelFileError, match="leak.mod"):
        _with_stimuli(model, stimuli, model_from_dict)  # resolved against the cwd: missing
