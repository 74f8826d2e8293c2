"""Network files' ``mod_files``: NMODL point processes with NET_RECEIVE (and density
mechanisms) imported by SUFFIX / POINT_PROCESS name, relative to the network file. A NEURON
network case with its exp2syn synapses replaced by the imported dxexp2syn.mod gives the same
traces and spikes as the built-in Exp2Syn."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.io._model_json import ModelFileError

HERE = Path(__file__).parent
CASE = HERE / "validation" / "networks" / "net_ring5_exp2syn.json"
MOD = HERE / "validation" / "nmodl" / "mod" / "dxexp2syn.mod"


def _with_imported_synapses(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    data["mod_files"] = ["mods/dxexp2syn.mod"]
    for s in data["synapses"]:
        assert s.pop("type") == "exp2syn"
        s["type"] = "DxExp2Syn"
        s["params"] = {"tau1": s.pop("tau1_ms"), "tau2": s.pop("tau2_ms"), "e": s.pop("e_mV")}
    return data


def test_imported_synapses_in_a_network_file_equal_the_built_in_ones(tmp_path, monkeypatch):
    (tmp_path / "mods").mkdir()
    shutil.copy(MOD, tmp_path / "mods" / "dxexp2syn.mod")
    path = tmp_path / "net.json"
    path.write_text(json.dumps(_with_imported_synapses(json.loads(CASE.read_text()))))
    monkeypatch.chdir(HERE)  # not the file's folder: mod_files resolve against the file
    net, options = dx.load_network(path)
    ref_net, ref_options = dx.load_network(CASE)
    assert options == ref_options
    mine = dx.simulate(dx.compile(net, **options))
    ref = dx.simulate(dx.compile(ref_net, **ref_options))
    for key in ref.keys():
        np.testing.assert_allclose(np.asarray(mine[key]), np.asarray(ref[key]), rtol=0, atol=1e-9)
    assert int(np.asarray(ref.spikes).sum()) > 0  # events drove spikes: the test is not trivial
    np.testing.assert_array_equal(np.asarray(mine.spikes), np.asarray(ref.spikes))


def test_a_missing_mod_file_is_named(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(_with_imported_synapses(json.loads(CASE.read_text()))))
    with pytest.raises(ModelFileError, match=r"mod_files\[0\]='mods/dxexp2syn.mod': no such file"):
        dx.load_network(path)


def test_dendrax_simulate_runs_a_network_file_with_mod_files(tmp_path, monkeypatch):
    from dendrax.cli import main

    (tmp_path / "mods").mkdir()
    shutil.copy(MOD, tmp_path / "mods" / "dxexp2syn.mod")
    path = tmp_path / "net.json"
    path.write_text(json.dumps(_with_imported_synapses(json.loads(CASE.read_text()))))
    monkeypatch.chdir(HERE)
    assert main(["simulate", str(path), "-o", str(tmp_path / "out.npz")]) == 0
    out = np.load(tmp_path / "out.npz")
    ref = np.load(CASE.with_suffix(".npz"))  # NEURON's traces of the original case
    assert float(np.max(np.abs(out["v_R0_soma"] - ref["v_R0_soma"]))) <= 1e-4
