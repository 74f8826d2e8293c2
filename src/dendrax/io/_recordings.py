"""Recorded traces on disk: the npz layout of ``dendrax simulate`` (spike times from
:func:`dendrax.spike_times`, in ``dendrax._analysis``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from .._analysis import spike_times

__all__ = ["save_npz", "spike_times", "traces_to_arrays"]


def traces_to_arrays(
    t_ms, traces: Mapping[str, np.ndarray], voltage_keys, extra: Mapping | None = None
) -> dict[str, np.ndarray]:
    """``t``, one float64 array per key, ``spikes__<key>`` for every voltage key, and extras."""
    out = {"t": np.asarray(t_ms, dtype=np.float64)}
    for key, y in traces.items():
        out[key] = np.asarray(y, dtype=np.float64)
        if key in voltage_keys:
            out["spikes__" + key] = cast(np.ndarray, spike_times(out["t"], out[key]))  # 1-D
    for key, value in (extra or {}).items():
        out[key] = np.asarray(value)
    return out


def save_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping) -> None:
    """Write ``arrays`` plus a ``meta_json`` string to a compressed npz file."""
    payload: dict[str, Any] = dict(arrays)
    payload["meta_json"] = np.asarray(json.dumps(dict(meta)))
    np.savez_compressed(path, **payload)
