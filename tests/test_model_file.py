"""The JSON model format: round trip through `dendrax simulate`, and clear errors on bad input."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.cli import main
from dendrax.io._model_json import model_from_dict

CASES = Path(__file__).parent / "validation" / "cases"


@pytest.fixture
def model():
    return json.loads((CASES / "branched_tree_3level.json").read_text())


def broken(model, edit):
    m = copy.deepcopy(model)
    edit(m)
    return m


BAD = {
    "dt zero": (lambda m: m.update(dt_ms=0.0), "dt_ms must be > 0"),
    "dt negative": (lambda m: m.update(dt_ms=-0.025), "dt_ms must be > 0"),
    "tstop not multiple": (lambda m: m.update(tstop_ms=100.01), "not an integer multiple"),
    "unknown mechanism": (
        lambda m: m["branches"][1]["mechanisms"].update(kdr={"gbar": 1.0}),
        "unknown mechanism 'kdr'",
    ),
    "unknown parameter": (
        lambda m: m["branches"][0]["mechanisms"]["hh"].update(gnabarr=0.1),
        "unknown field(s) ['gnabarr']",
    ),
    "x outside": (lambda m: m["stimuli"][0].update(x=1.5), "stimuli[0].x=1.5 is outside [0, 1]"),
    "wrong branch": (lambda m: m["recordings"][0].update(branch=99), "recordings[0].branch=99"),
    "parent later": (lambda m: m["branches"][1].update(parent=5), "branches[1].parent=5"),
    "diam count": (lambda m: m["branches"][1]["diam_um"].pop(), "list of ncomp=9 diameters"),
    "negative diam": (lambda m: m["branches"][1]["diam_um"].__setitem__(0, -1.0), "must be > 0"),
    "NaN amplitude": (lambda m: m["stimuli"][0].update(amp_nA=float("nan")), "must be finite"),
    "NaN waveform": (
        lambda m: m["stimuli"].append(
            {
                "type": "waveform",
                "branch": 0,
                "x": 0.5,
                "t_ms": [0, 100],
                "i_nA": [0.0, float("nan")],
            }  # fmt: skip
        ),
        "stimuli[2].i_nA[1] must be finite",
    ),
    "comp disagrees": (lambda m: m["stimuli"][1].update(comp=3), "comp=3 disagrees with x"),
    "unknown top-level": (lambda m: m.update(dtt=1), "unknown field(s) ['dtt']"),
    "unknown method": (lambda m: m.update(method={"name": "rk4"}), "method.name='rk4'"),
    "bad variable": (lambda m: m["recordings"][0].update(var="q"), "var='q'"),
    "Ra zero": (lambda m: m["branches"][2].update(Ra_ohm_cm=0), "Ra_ohm_cm must be > 0"),
    "gate where no hh": (
        lambda m: m["recordings"].append({"key": "m_dend", "var": "m", "branch": 1, "x": 0.5}),
        "matches none of the mechanisms",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_gives_clear_error(model, case):
    edit, message = BAD[case]
    with pytest.raises(ValueError) as info:  # ModelFileError is a ValueError
        cell, options = model_from_dict(broken(model, edit))
        dx.compile(cell, **options)  # some checks need the whole cell (e.g. recorded states)
    assert message in str(info.value)


def test_cli_simulate_writes_npz_matching_neuron(tmp_path, capsys):
    out = tmp_path / "out.npz"
    assert main(["simulate", str(CASES / "hh_single_comp_6p3C.json"), "-o", str(out),
                 "--repeat", "2"]) == 0  # fmt: skip
    got, ref = np.load(out), np.load(CASES / "hh_single_comp_6p3C.npz")
    np.testing.assert_allclose(got["t"], ref["t"], atol=1e-12)
    assert np.max(np.abs(got["v_soma"] - ref["v_soma"])) < 1e-4
    np.testing.assert_allclose(got["spikes__v_soma"], ref["spikes__v_soma"], atol=1e-4)
    assert got["compile_s"] > 0 and got["run_s"] > 0
    assert "wrote" in capsys.readouterr().out


def test_cli_reports_bad_model_without_traceback(tmp_path, model, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken(model, BAD["dt zero"][0])))
    assert main(["simulate", str(path), "-o", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "dt_ms must be > 0" in err and "Traceback" not in err


def test_cli_missing_file(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "nope.json"), "-o", str(tmp_path / "x.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
