"""dendrax against the stored NEURON 9.0.2 references, every case in ``cases/``.

float64: dendrax implements NEURON's fixed-step scheme exactly (FORMAT.md, "Time stepping"), so
the traces must agree to round-off (measured: <= 2e-9 mV). The tolerances are far above
round-off and far below the effect of any modelling difference (NEURON's own dt/2
self-differences on these cases are 0.01-100 mV; the shared reference README puts the boundary
between numerics and modelling at ~1e-4 mV):

* voltages: max |dV| <= 1e-4 mV on every recording and every sample;
* gates m, h, n: max |d| <= 1e-6;
* spikes (upward 0 mV crossings): identical counts, times within 1e-4 ms.

float32: round-off is ~6e-8 relative per operation and accumulates over 10^3-10^4 steps; it
shows as small spike-time drifts. Criteria (the same for every case):

* every spike of the reference is kept (identical counts) -- the requirement;
* spike times within 0.01 ms (< dt/2; worst seen 2.2e-3 ms, rallpack3_hh_axon_n1000);
* subthreshold accuracy: max |dV| <= 0.01 mV where the reference changes slower than 1 mV/ms
  (worst seen 2.1e-3 mV, same case; typically 1e-5-1e-4 mV);
* whole trace: max |dV| <= 2 mV and RMS <= 0.2 mV. Max |dV| is dominated by the spike-time
  shift on upstrokes of up to ~400 mV/ms (2.2e-3 ms x 400 mV/ms ~ 0.9 mV; worst seen 0.81 mV,
  same case; every other case <= 0.06 mV);
* gates: max |d| <= 1e-4 (worst seen 1e-5).

The outlier is the 1000-compartment Rallpack 3 axon, whose 1 um compartments couple with an
axial conductance ~600x their C/dt: float32 rounding of v (~4e-6 mV) perturbs the axial currents
by ~3e-6 nA, a few per cent of such a compartment's leak current. See README.md for the values
per case.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _compare import CASES_DIR, case_names, compare_trace, describe, load_case, spike_times

import dendrax as dx
from dendrax.io._model_json import load_model

CASES = case_names()

F64_V_TOL_MV = 1e-4
F64_GATE_TOL = 1e-6
F64_SPIKE_TOL_MS = 1e-4

F32_V_MAX_TOL_MV = 2.0
F32_V_RMS_TOL_MV = 0.2
F32_V_QUIET_TOL_MV = 1e-2
F32_GATE_TOL = 1e-4
F32_SPIKE_TOL_MS = 1e-2

_simulate = jax.jit(dx.simulate)


def _run(name: str, dtype) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    cell, options = load_model(CASES_DIR / f"{name}.json")
    result = _simulate(dx.compile(cell, **options, dtype=dtype))
    traces = {k: np.asarray(result[k], dtype=np.float64) for k in result.keys()}
    return np.asarray(result.t, dtype=np.float64), traces


def _diffs(name: str, dtype):
    model, ref = load_case(name)
    t, traces = _run(name, dtype)
    assert t.shape == ref["t"].shape
    assert np.max(np.abs(t - ref["t"])) <= 1e-6 * max(1.0, ref["t"][-1])
    out = []
    for rec in model["recordings"]:
        key, var = rec["key"], rec["var"]
        stored = ref.get(f"spikes__{key}") if var == "v" else None
        out.append(compare_trace(key, var, ref["t"], ref[key], traces[key], ref_spikes=stored))
    return out


def test_case_list_is_complete():
    """The shared NEURON set and dendrax's own cases are all present (JSON + npz)."""
    shared = {
        "ballstick_gates", "branched_tree_3level", "hh_single_comp_16C", "hh_single_comp_6p3C",
        "rallpack1_passive_cable_n100", "rallpack3_hh_axon_n100", "rallpack3_hh_axon_n1000",
        "rallpack3_hh_axon_n100_cn", "swc_ca1_n120", "swc_ca1_n120_cn",
    }  # fmt: skip
    assert shared <= set(CASES)
    assert len([c for c in CASES if c.startswith("dx_")]) >= 9
    orphans = {p.stem for p in CASES_DIR.glob("*.json")} ^ {p.stem for p in CASES_DIR.glob("*.npz")}
    assert not orphans, f"cases without both a JSON and an npz: {sorted(orphans)}"


@pytest.mark.parametrize("name", CASES)
def test_stored_spikes_match_stored_traces(name):
    """Each ``spikes__<key>`` in the npz is the 0 mV upward-crossing list of its trace."""
    model, ref = load_case(name)
    for rec in model["recordings"]:
        if rec["var"] == "v":
            expected = spike_times(ref["t"], ref[rec["key"]])
            np.testing.assert_allclose(ref[f"spikes__{rec['key']}"], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", CASES)
def test_float64_matches_neuron(name):
    failures = []
    for d in _diffs(name, jnp.float64):
        tol = F64_V_TOL_MV if d.var == "v" else F64_GATE_TOL
        bad = d.max_abs > tol
        if d.var == "v":
            bad |= not d.same_spike_count or d.spike_dt_max > F64_SPIKE_TOL_MS
        if bad:
            failures.append(describe(d))
    assert not failures, f"{name} (float64): " + "; ".join(failures)


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_spikes_and_accuracy(name):
    failures = []
    for d in _diffs(name, jnp.float32):
        if d.var == "v":
            bad = not d.same_spike_count or d.spike_dt_max > F32_SPIKE_TOL_MS
            bad |= d.max_abs > F32_V_MAX_TOL_MV or d.rms > F32_V_RMS_TOL_MV
            bad |= d.max_abs_quiet > F32_V_QUIET_TOL_MV
        else:
            bad = d.max_abs > F32_GATE_TOL
        if bad:
            failures.append(describe(d))
    assert not failures, f"{name} (float32): " + "; ".join(failures)
