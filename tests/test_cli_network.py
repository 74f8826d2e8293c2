"""`dendrax simulate NET.json` on a network file (``neuroref-network/1``), run in-process.

The npz it writes has the reference keys (t, every recording, spikes__<key>,
netcon_spikes__cell<k>, netcon_spikes__source<j>, meta_json) and agrees with NEURON's npz.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from dendrax.cli import main
from dendrax.io._recordings import spike_times

NETWORKS = Path(__file__).resolve().parent / "validation" / "networks"


def _load(path) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _compare(name: str, out: dict, v_tol: float, other_tol: float, t_tol: float) -> list[str]:
    """Every reference key of the case against NEURON's npz; the failures, one line each."""
    model = json.loads((NETWORKS / f"{name}.json").read_text())
    ref = _load(NETWORKS / f"{name}.npz")
    bad = []
    missing = sorted(k for k in ref if k != "meta_json" and k not in out)
    if missing:
        bad.append(f"missing keys {missing}")
    if np.max(np.abs(out["t"] - ref["t"])) > 1e-12:
        bad.append("t is not the reference grid")
    for rec in model["recordings"]:
        key = rec["key"]
        tol = v_tol if rec["var"] == "v" else other_tol
        err = float(np.max(np.abs(out[key] - ref[key])))
        if not err <= tol:
            bad.append(f"{key}: max|d|={err:.3g} > {tol:g}")
    for key in ref:
        if key.startswith(("netcon_spikes__", "spikes__")) and key in out:
            if out[key].size != ref[key].size:
                bad.append(f"{key}: {out[key].size} spikes, NEURON {ref[key].size}")
            elif out[key].size and not np.max(np.abs(out[key] - ref[key])) <= t_tol:
                bad.append(f"{key}: max|dt|={np.max(np.abs(out[key] - ref[key])):.3g} ms")
    return bad


def test_network_file_float64_writes_the_reference_keys(tmp_path, capsys):
    """net_event_edges: detectors (one below v_init), NetStim (t = 0, delay 0), a spike list, an
    Exp2Syn with tau1 = tau2 (a warning on stderr that names the synapse)."""
    name = "net_event_edges"
    out_path = tmp_path / "out.npz"
    assert main(["simulate", str(NETWORKS / f"{name}.json"), "-o", str(out_path)]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "9 spike(s) of 3 detector(s)" in captured.out
    assert "dendrax: warning:" in captured.err and "synapses[1]" in captured.err
    assert "0.9999*tau2" in captured.err
    out = _load(out_path)
    bad = _compare(name, out, v_tol=1e-4, other_tol=1e-6, t_tol=1e-4)
    assert not bad, f"{name}: " + "; ".join(bad)
    ref = _load(NETWORKS / f"{name}.npz")
    np.testing.assert_array_equal(out["netcon_spikes__source0"], ref["netcon_spikes__source0"])
    assert "netcon_spikes__source1" not in out  # a spike list, not a NetStim
    for key in ("v_P0", "v_P1", "v_P2"):  # 0 mV crossings as the single-cell path writes them
        np.testing.assert_array_equal(out[f"spikes__{key}"], spike_times(out["t"], out[key]))
    meta = json.loads(str(out["meta_json"]))
    assert meta["format"] == "neuroref-network/1" and meta["dtype"] == "float64"
    assert (meta["n_cells"], meta["n_steps"], meta["dt_ms"]) == (3, 1600, 0.025)
    assert "run_s" not in out


@pytest.mark.slow  # ~10 s on 2 cores; the float64 path is in the default suite
def test_network_file_float32_and_repeat(tmp_path, capsys):
    """net_pair_expsyn in float32 keeps its spikes (test_network_cases.F32_KEEPS_COUNTS) and
    writes the float64 grid; --repeat stores the timings."""
    name = "net_pair_expsyn"
    out_path = tmp_path / "out32.npz"
    args = ["simulate", str(NETWORKS / f"{name}.json"), "-o", str(out_path)]
    assert main([*args, "--float32", "--repeat", "2"]) == 0
    assert "run" in capsys.readouterr().out
    out = _load(out_path)
    bad = _compare(name, out, v_tol=0.02, other_tol=1e-6, t_tol=1e-4)
    assert not bad, f"{name} (float32): " + "; ".join(bad)
    assert json.loads(str(out["meta_json"]))["dtype"] == "float32"
    assert out["run_s"] > 0 and out["compile_s"] > 0


def _write(tmp_path, data: dict) -> str:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def pair() -> dict:
    return json.loads((NETWORKS / "net_pair_expsyn.json").read_text())


def test_bad_network_file_names_the_field(tmp_path, capsys, pair):
    pair["connections"][0]["delay_ms"] = -1.0
    assert main(["simulate", _write(tmp_path, pair), "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert "dendrax: error:" in err and "connections[0].delay_ms" in err
    assert not (tmp_path / "o.npz").exists()


def test_spike_input_source_is_refused_with_the_fix(tmp_path, capsys, pair):
    pair["sources"] = [{"type": "spike_input", "name": "drive"}]
    pair["connections"].append(
        {"pre": {"source": 0}, "synapse": 0, "delay_ms": 1.0, "weight_uS": 0.01}
    )
    assert main(["simulate", _write(tmp_path, pair), "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert "'drive'" in err and "spike_times" in err


def test_model_files_still_take_the_single_cell_path(tmp_path, capsys):
    """A file without the network format goes to the model reader (its own error messages)."""
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": "neuroref-case/1"}))
    assert main(["simulate", str(path), "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert "network" not in err.lower()


@pytest.mark.slow  # ~10 s on 2 cores; the float64 CLI test covers the same path
def test_documented_example_writes_the_documented_keys(tmp_path, capsys):
    """docs/network_format.md's example (dendrax extensions: an ExpSyn by registry name, a noisy
    NetStim): the keys the document lists, and the inhibitory conductance jumps exactly by the
    written NetStim events (delay 1 ms, slot ceil(t_d/dt - 1/2))."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "network_format.md").read_text()
    (block,) = re.findall(r"^```json\n(.*?)^```", doc, re.S | re.M)
    model = tmp_path / "example_pair.json"
    model.write_text(block)
    out_path = tmp_path / "example_pair.npz"
    assert main(["simulate", str(model), "-o", str(out_path)]) == 0
    capsys.readouterr()
    out = _load(out_path)
    assert set(out) == {
        "t", "v_A", "v_B", "m_B", "g_exc", "g_inh", "spikes__v_A", "spikes__v_B",
        "netcon_spikes__cell0", "netcon_spikes__source0", "netcon_spikes__source1", "build_s",
        "compile_s", "meta_json",
    }  # fmt: skip
    np.testing.assert_allclose(out["netcon_spikes__source0"], [10.0, 15.0, 20.0, 25.0])
    assert out["netcon_spikes__cell0"].size > 0
    dt, tau, w = 0.025, 5.0, 0.002
    g = out["g_inh"]
    kicks = (g[1:] / np.exp(-dt / tau) - g[:-1]) / w  # events delivered in each step
    slots = np.ceil((out["netcon_spikes__source1"] + 1.0) / dt - 0.5).astype(int)
    expected = np.bincount(slots[slots < kicks.size], minlength=kicks.size)
    assert expected.sum() >= 3  # the Poisson train did fire
    np.testing.assert_allclose(kicks, expected, rtol=0, atol=1e-6)
