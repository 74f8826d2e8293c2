"""Two stored channel references are what ``regenerate_channels_neuron.py`` makes from their JSON.

Runs the generator in ``--check`` mode in a subprocess (NEURON keeps global state, and a mechanism
library can be loaded only once per process): it compiles dendrax's own mod files with nrnivmodl
(once, into a cache outside the repository), rebuilds the cases in NEURON from their JSON, checks
its own stimulus timing and ion styles, and compares every trace with the stored npz within 1e-9.
It writes nothing. The two cases cover both mechanism sets: ``dxch_pos_it`` (Pospischil ``it`` +
``cad``, Ca in nernst mode, voltage clamp then current steps) and ``dxch_hay_tree37`` (the Hay set
on a branched cell at 37 degC, per-compartment densities, a sampled waveform).
"""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "regenerate_channels_neuron.py"
CASES = ("dxch_pos_it", "dxch_hay_tree37")


def _nrnivmodl() -> str | None:
    return shutil.which("nrnivmodl") or (
        str(p) if (p := pathlib.Path(sys.executable).with_name("nrnivmodl")).exists() else None
    )


@pytest.mark.slow  # compiles 17 mod files with nrnivmodl (about 2 min on 2 cores), then ~10 s
@pytest.mark.skipif(importlib.util.find_spec("neuron") is None, reason="needs `pip install neuron`")
@pytest.mark.skipif(_nrnivmodl() is None, reason="needs NEURON's nrnivmodl (and a C++ compiler)")
def test_channel_references_regenerate_identically():
    for name in CASES:
        assert (HERE / "cases" / f"{name}.npz").exists(), f"{name}.npz is missing"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", *CASES],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DIFFERS" not in proc.stdout
    for name in CASES:
        assert f"{name}: same as stored" in proc.stdout, proc.stdout
