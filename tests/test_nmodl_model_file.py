"""``"mod_files"`` in model files: NMODL files (paths relative to the model file) imported by
``dx.load_mod`` and used by SUFFIX; cached by content; clear errors for missing files, files
that do not import and two files with one SUFFIX."""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
import pytest

import dendrax as dx
from dendrax.cli import main
from dendrax.io._model_json import ModelFileError, model_from_dict, registry_with_mod_files
from dendrax.mechanisms import DEFAULT_REGISTRY

HERE = pathlib.Path(__file__).resolve().parent
NMODL = HERE / "validation" / "nmodl"
CHANNEL_MOD = HERE / "validation" / "channels" / "mod"


def _case(tmp_path: pathlib.Path) -> tuple[pathlib.Path, dict]:
    """dxnm_spikes (NEURON with the four nmodl/mod files) with its mod files in a subfolder."""
    model = json.loads((NMODL / "cases" / "dxnm_spikes.json").read_text())
    (tmp_path / "mods").mkdir()
    names = model["mechanisms_used"]
    for name in names:
        shutil.copy(NMODL / "mod" / f"{name}.mod", tmp_path / "mods" / f"{name}.mod")
    model["mod_files"] = [f"mods/{name}.mod" for name in names]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    return path, model


def test_a_model_file_with_mod_files_runs_from_the_command_line_as_neuron(tmp_path, capsys):
    path, _ = _case(tmp_path)
    out = tmp_path / "out.npz"
    assert main(["simulate", str(path), "-o", str(out)]) == 0
    with np.load(out) as got, np.load(NMODL / "cases" / "dxnm_spikes.npz") as ref:
        err = float(np.max(np.abs(got["v_soma"] - ref["v_soma"])))
        assert err < 1e-8, err  # the case's measured agreement: 3e-11 mV
        assert np.max(np.abs(got["m_cagk"] - ref["m_cagk"])) < 1e-9


def test_mod_files_are_relative_to_the_model_file_and_need_to_exist(tmp_path):
    path, model = _case(tmp_path)
    with pytest.raises(ModelFileError, match=r"mod_files\[0\]='mods/cagk.mod': no such file"):
        model_from_dict(model)  # relative to the current directory: not there
    model_from_dict(model, base_dir=tmp_path)
    model["mod_files"][2] = "mods/none.mod"
    missing = r"mod_files\[2\]='mods/none.mod': no such file .* relative to the model file's"
    with pytest.raises(ModelFileError, match=missing):
        model_from_dict(model, base_dir=tmp_path)
    for bad in ("cagk.mod", [1], [""]):
        model["mod_files"] = bad
        with pytest.raises(ModelFileError, match="mod_files must be a list of .mod file paths"):
            model_from_dict(model, base_dir=tmp_path)


def test_without_mod_files_the_suffix_is_unknown(tmp_path):
    _, model = _case(tmp_path)
    del model["mod_files"]
    with pytest.raises(ModelFileError, match="unknown mechanism"):
        model_from_dict(model)


def test_two_files_with_one_suffix_and_files_that_do_not_import_are_refused(tmp_path):
    path, model = _case(tmp_path)
    shutil.copy(tmp_path / "mods" / "nae.mod", tmp_path / "mods" / "nae_copy.mod")
    model["mod_files"].append("mods/nae_copy.mod")
    with pytest.raises(
        ModelFileError,
        match=r"mod_files\[4\]='mods/nae_copy.mod' and mod_files\[3\]='mods/nae.mod' both "
        "define SUFFIX 'nae'; list only one of them.",
    ):
        model_from_dict(model, base_dir=tmp_path)
    (tmp_path / "mods" / "nae_copy.mod").write_text(
        "NEURON {\n  SUFFIX ptr\n  POINTER vpre\n}\nASSIGNED { vpre }\nBREAKPOINT { }\n"
    )
    with pytest.raises(
        ModelFileError,
        match=r"mod_files\[4\]='mods/nae_copy.mod' cannot be imported: .*nae_copy.mod:3: "
        "POINTER vpre",
    ):
        model_from_dict(model, base_dir=tmp_path)


def test_a_file_replaces_the_library_mechanism_of_its_suffix():
    registry = registry_with_mod_files(["NaTa_t.mod"], DEFAULT_REGISTRY, CHANNEL_MOD)
    assert registry["NaTa_t"] is dx.load_mod(CHANNEL_MOD / "NaTa_t.mod")
    assert registry["NaTa_t"] is not DEFAULT_REGISTRY["NaTa_t"]
    assert set(registry) == set(DEFAULT_REGISTRY)
    assert registry_with_mod_files(None, DEFAULT_REGISTRY) is DEFAULT_REGISTRY


def test_the_import_cache_follows_the_file_content(tmp_path):
    text = (NMODL / "mod" / "kdrold.mod").read_text()
    assert "gkbar = 0.036 (S/cm2)" in text
    mod = tmp_path / "kdrold.mod"
    mod.write_text(text)
    first = registry_with_mod_files(["kdrold.mod"], DEFAULT_REGISTRY, tmp_path)["kdrold"]
    again = registry_with_mod_files(["kdrold.mod"], DEFAULT_REGISTRY, tmp_path)["kdrold"]
    assert again is first
    mod.write_text(text.replace("gkbar = 0.036 (S/cm2)", "gkbar = 0.05 (S/cm2)"))
    changed = registry_with_mod_files(["kdrold.mod"], DEFAULT_REGISTRY, tmp_path)["kdrold"]
    assert changed is not first
    assert first.parameters["gkbar"][0] == 0.036
    assert changed.parameters["gkbar"][0] == 0.05
