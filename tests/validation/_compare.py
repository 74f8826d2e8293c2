"""Shared helpers of the validation suite: case discovery, spike detection, trace comparison.

Only numpy (and json) here, so that ``regenerate_neuron.py`` can use it without dendrax or JAX.

Spikes follow the reference format (FORMAT.md): upward crossings of 0 mV, ``v[k] < 0 <= v[k+1]``,
with the crossing time linearly interpolated between the two samples (ms).
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import numpy as np

CASES_DIR = pathlib.Path(__file__).resolve().parent / "cases"
SPIKE_THRESHOLD_MV = 0.0
QUIET_SLOPE_MV_PER_MS = 1.0  # "subthreshold": where the reference changes slower than this


def case_names(cases_dir: pathlib.Path = CASES_DIR) -> list[str]:
    """Every case that has both a JSON model and an npz reference, sorted by name."""
    return sorted(p.stem for p in cases_dir.glob("*.json") if p.with_suffix(".npz").exists())


def load_case(name: str, cases_dir: pathlib.Path = CASES_DIR) -> tuple[dict, dict]:
    """``(model dict, reference arrays)`` of a case; the npz is read fully into memory."""
    with open(cases_dir / f"{name}.json") as f:
        model = json.load(f)
    with np.load(cases_dir / f"{name}.npz") as z:
        ref = {k: z[k] for k in z.files}
    return model, ref


def spike_times(t: np.ndarray, v: np.ndarray, threshold: float = SPIKE_THRESHOLD_MV) -> np.ndarray:
    """Upward threshold crossings ``v[k] < thr <= v[k+1]``, linearly interpolated (ms)."""
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    k = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    frac = (threshold - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])


@dataclass(frozen=True)
class TraceDiff:
    """How a candidate trace differs from the reference one.

    ``max_abs`` and ``rms`` are in mV for voltages (dimensionless for gates). For ``v`` only:
    ``max_abs_quiet`` is max |d| over the samples where the reference changes slower than
    ``QUIET_SLOPE_MV_PER_MS`` (subthreshold stretches, insensitive to spike-time shifts);
    ``spike_dt_max`` is the largest |t_cand - t_ref| over spikes paired in order (ms), ``nan``
    when the counts differ.
    """

    key: str
    var: str
    max_abs: float
    rms: float
    max_abs_quiet: float = float("nan")
    n_spikes_ref: int | None = None
    n_spikes_cand: int | None = None
    spike_dt_max: float = float("nan")

    @property
    def same_spike_count(self) -> bool:
        return self.n_spikes_ref == self.n_spikes_cand


def compare_trace(
    key: str, var: str, t: np.ndarray, ref: np.ndarray, cand: np.ndarray, ref_spikes=None
) -> TraceDiff:
    """Compare a candidate trace with the reference on the same time grid ``t``.

    ``ref_spikes`` defaults to the spikes detected in ``ref`` (the stored ``spikes__<key>``
    arrays hold exactly these; pass them to check that, too).
    """
    ref = np.asarray(ref, dtype=np.float64)
    cand = np.asarray(cand, dtype=np.float64)
    if ref.shape != cand.shape:
        raise ValueError(f"{key}: candidate shape {cand.shape} != reference shape {ref.shape}.")
    err = np.abs(cand - ref) if np.all(np.isfinite(cand)) else np.full(ref.shape, np.inf)
    max_abs, rms = float(np.max(err)), float(np.sqrt(np.mean(err**2)))
    if var != "v":
        return TraceDiff(key, var, max_abs, rms)
    quiet = np.abs(np.gradient(ref, t)) < QUIET_SLOPE_MV_PER_MS
    max_quiet = float(np.max(err[quiet])) if np.any(quiet) else 0.0
    s_ref = spike_times(t, ref) if ref_spikes is None else np.asarray(ref_spikes, np.float64)
    s_cand = spike_times(t, cand)
    dt_max = float("nan")
    if s_ref.size == s_cand.size:
        dt_max = float(np.max(np.abs(s_cand - s_ref))) if s_ref.size else 0.0
    return TraceDiff(key, var, max_abs, rms, max_quiet, int(s_ref.size), int(s_cand.size), dt_max)


def describe(d: TraceDiff) -> str:
    """One line for assertion messages and reports."""
    unit = "mV" if d.var == "v" else ""
    s = f"{d.key}: max|d|={d.max_abs:.3g}{unit}, rms={d.rms:.3g}{unit}"
    if d.var == "v":
        s += f", subthreshold max|d|={d.max_abs_quiet:.3g}{unit}"
        s += f", spikes ref/cand={d.n_spikes_ref}/{d.n_spikes_cand}"
        if d.same_spike_count and d.n_spikes_ref:
            s += f", max|dt_spike|={d.spike_dt_max:.3g}ms"
    return s
