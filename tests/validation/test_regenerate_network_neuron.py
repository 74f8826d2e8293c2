"""The stored network references (``networks/*.npz``) are what ``regenerate_network_neuron.py``
makes from their JSON, and they obey NETWORK_FORMAT.md's event rules.

``test_network_references_regenerate_identically`` needs NEURON (skipped without it): it runs the
generator in a subprocess (NEURON keeps global state) into ``tmp_path``, rebuilding every case
in NEURON from its JSON alone, and compares every array with the stored npz within 1e-9. The
other tests need only numpy.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from regenerate_network_neuron import (  # noqa: E402
    FORMAT,
    NETWORKS_DIR,
    events_of,
    g_from_events,
    tie_distance,
)

SCRIPT = HERE / "regenerate_network_neuron.py"
NAMES = sorted(p.stem for p in NETWORKS_DIR.glob("*.json"))
OWN = [n for n in NAMES if n.startswith("dx_net_")]
SAME_ATOL = 1e-9


def _load(name):
    with open(NETWORKS_DIR / f"{name}.json") as f:
        model = json.load(f)
    with np.load(NETWORKS_DIR / f"{name}.npz") as z:
        return model, {k: z[k] for k in z.files}


def test_cases_are_complete():
    assert len(NAMES) == 10 and len(OWN) == 4, NAMES
    assert {p.stem for p in NETWORKS_DIR.glob("*.npz")} == set(NAMES)


def test_network_references_regenerate_identically(tmp_path):
    pytest.importorskip("neuron")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in NAMES:
        with np.load(NETWORKS_DIR / f"{name}.npz") as z:
            old = {k: z[k] for k in z.files}
        with np.load(tmp_path / f"{name}.npz") as z:
            new = {k: z[k] for k in z.files}
        assert set(new) == set(old), (name, sorted(set(new) ^ set(old)))
        for k in old:
            if k == "meta_json":
                assert json.loads(str(new[k]))["case"] == name
                continue
            assert new[k].shape == old[k].shape, (name, k)
            if old[k].size:
                np.testing.assert_allclose(new[k], old[k], rtol=0, atol=SAME_ATOL, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
def test_npz_has_the_format_keys(name):
    model, ref = _load(name)
    assert model["format"] == FORMAT
    assert len(model["description"]) > 100
    dt, tstop = model["dt_ms"], model["tstop_ms"]
    n = round(tstop / dt)
    np.testing.assert_allclose(ref["t"], np.arange(n + 1) * dt, rtol=0, atol=1e-12)
    want = {"t", "meta_json"}
    for r in model["recordings"]:
        want.add(r["key"])
        if r["var"] == "v":
            want.add(f"spikes__{r['key']}")
    for k, c in enumerate(model["cells"]):
        if "spike_detector" in c:
            want.add(f"netcon_spikes__cell{k}")
    for j, s in enumerate(model["sources"]):
        if s["type"] == "netstim":
            want.add(f"netcon_spikes__source{j}")
    assert set(ref) == want
    for k in ref:
        if k.startswith("netcon_spikes__cell"):  # NEURON's spike times: grid times + 1e-10
            t = ref[k]
            assert np.all(np.abs(t - np.round(t / dt) * dt) < 1e-9), (name, k)


@pytest.mark.parametrize("name", NAMES)
def test_recorded_g_follows_the_event_rules(name):
    """Each recorded g is rebuilt from the npz spike times and the JSON alone: slot
    ceil(t_d/dt - 1/2), increment before the step, exact decay, Exp2Syn factor and tau1 clamps."""
    model, ref = _load(name)
    keys = [r for r in model["recordings"] if r["var"] == "g"]
    assert keys
    for r in keys:
        g = g_from_events(model, ref, int(r["synapse"]))
        np.testing.assert_allclose(ref[r["key"]], g, rtol=0, atol=1e-12, err_msg=r["key"])


@pytest.mark.parametrize("name", OWN)
def test_own_cases_are_safe_from_ties_and_small(name):
    """No delivery time within 0.02 dt of a half-step tie; npz under 2 MB; tstop <= 200 ms."""
    model, ref = _load(name)
    dt = model["dt_ms"]
    t_d = np.array([td for ev in events_of(model, ref).values() for td, _, _ in ev])
    t_d = t_d[t_d <= model["tstop_ms"]]
    assert t_d.size and tie_distance(t_d, dt).min() >= 0.02 - 1e-9
    assert (NETWORKS_DIR / f"{name}.npz").stat().st_size < 2 * 1024 * 1024
    assert model["tstop_ms"] <= 200
