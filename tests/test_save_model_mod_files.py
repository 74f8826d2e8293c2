"""save_model of a cell with mechanisms imported from NMODL files writes their ``mod_files``
(relative to the model file), so load_model reads the model back and gives the same traces."""

import json

import numpy as np
import pytest
from helpers import leak_mod

import dendrax as dx

LEAK_MOD = leak_mod("dxsaveleak")


def cell_with(leak):
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.insert(leak(g=3e-4, e=-52.0))
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(1.0, 3.0, 0.2), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    return cell


def test_imported_mechanisms_round_trip_through_mod_files(tmp_path, monkeypatch):
    (tmp_path / "mods").mkdir()
    (tmp_path / "models").mkdir()
    mod = tmp_path / "mods" / "leak.mod"
    mod.write_text(LEAK_MOD)
    monkeypatch.chdir(tmp_path)
    leak = dx.load_mod("mods/leak.mod")  # a path relative to the current directory
    cell = cell_with(leak)
    path = tmp_path / "models" / "m.json"
    dx.save_model(path, cell, dt_ms=0.025, t_stop_ms=8.0)
    data = json.loads(path.read_text())
    assert data["mod_files"] == ["../mods/leak.mod"]  # relative to the model file's folder
    monkeypatch.chdir(tmp_path / "mods")  # elsewhere: the reader resolves against the model
    back, options = dx.load_model(path)
    assert "dxsaveleak" in [ins.channel.name for ins in back.insertions]
    a = dx.simulate(dx.compile(cell, **options))["v"]
    b = dx.simulate(dx.compile(back, **options))["v"]
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert float(np.max(a)) > 0.0  # it spiked: the leak's e and g matter to the comparison


def test_a_mechanism_imported_from_text_cannot_be_saved(tmp_path):
    cell = cell_with(dx.load_mod(LEAK_MOD))
    with pytest.raises(ValueError, match="imported from NMODL text.*dx.load_mod\\(path\\)"):
        dx.save_model(tmp_path / "m.json", cell)
