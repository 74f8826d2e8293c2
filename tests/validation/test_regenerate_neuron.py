"""The stored npz references are what ``regenerate_neuron.py`` makes from the JSON (needs NEURON).

Runs the generator in ``--check`` mode in a subprocess (NEURON keeps global state): it rebuilds
every case in NEURON from its JSON, checks its own stimulus timing (currents at step midpoints),
and compares with the stored npz within 1e-9. It writes nothing.
"""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent / "regenerate_neuron.py"


@pytest.mark.skipif(importlib.util.find_spec("neuron") is None, reason="needs `pip install neuron`")
def test_references_regenerate_identically():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DIFFERS" not in proc.stdout
