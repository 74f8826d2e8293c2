"""Recorded traces on disk: the npz layout of ``dendrax simulate`` and spike detection."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np


def spike_times(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = 0.0) -> np.ndarray:
    """Upward threshold crossings ``v[k] < thr <= v[k+1]``, linearly interpolated (ms)."""
    t = np.asarray(t_ms, dtype=np.float64)
    v = np.asarray(v_mV, dtype=np.float64)
    k = np.flatnonzero((v[:-1] < threshold_mV) & (v[1:] >= threshold_mV))
    frac = (threshold_mV - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])


def traces_to_arrays(
    t_ms, traces: Mapping[str, np.ndarray], voltage_keys, extra: Mapping | None = None
) -> dict[str, np.ndarray]:
    """``t``, one float64 array per key, ``spikes__<key>`` for every voltage key, and extras."""
    out = {"t": np.asarray(t_ms, dtype=np.float64)}
    for key, y in traces.items():
        out[key] = np.asarray(y, dtype=np.float64)
        if key in voltage_keys:
            out["spikes__" + key] = spike_times(out["t"], out[key])
    for key, value in (extra or {}).items():
        out[key] = np.asarray(value)
    return out


def save_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping) -> None:
    """Write ``arrays`` plus a ``meta_json`` string to a compressed npz file."""
    payload: dict[str, Any] = dict(arrays)
    payload["meta_json"] = np.asarray(json.dumps(dict(meta)))
    np.savez_compressed(path, **payload)
