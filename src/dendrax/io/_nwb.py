"""Current-clamp recordings from NWB files (Neurodata Without Borders, read with ``pynwb``).

``pynwb`` is an optional dependency (``pip install "dendrax[nwb]"``), imported only when an NWB
file is read. :func:`read_current_clamp` returns every ``CurrentClampSeries`` of the file's
``acquisition`` with the ``CurrentClampStimulusSeries`` that drove it, in dendrax's units:
time in ms from the start of each series, membrane potential in mV, current in nA.

The stimulus of a response is found, in this order: through the file's icephys
``intracellular_recordings`` table (the row holding the response), else as the stimulus series
with the same ``sweep_number`` and electrode, else as the only stimulus series on the
response's electrode; a response without a stimulus gets None.

Data values are converted to SI units as NWB defines them, ``data * conversion + offset``
(volts, amperes), then to mV and nA. Sample times are the series' ``timestamps`` or
``starting_time + k / rate`` (s); a series' times are shifted so that its first sample is at
0 ms, which is the model's t = 0.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np


class NWBError(ValueError):
    """An NWB file that cannot serve as a fit target; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class CurrentClampRecording:
    """One current-clamp sweep: response ``v_mV`` at ``t_ms`` and the injected current.

    Attributes:
        name: the response series' name in the file's acquisition.
        t_ms: sample times of the response (ms, from 0).
        v_mV: membrane potential (mV).
        stimulus_name: the stimulus series' name, or None if none was found.
        stimulus_t_ms: sample times of the stimulus (ms, on the response's clock: 0 is the
            response's first sample), or None.
        stimulus_nA: injected current (nA, depolarising positive), or None.
        electrode: the name of the series' intracellular electrode, or None.
    """

    name: str
    t_ms: np.ndarray
    v_mV: np.ndarray
    stimulus_name: str | None
    stimulus_t_ms: np.ndarray | None
    stimulus_nA: np.ndarray | None
    electrode: str | None


def _pynwb():
    try:
        import pynwb
    except ImportError:
        raise NWBError(
            "reading NWB files needs the optional package pynwb; install it with "
            '`pip install "dendrax[nwb]"` (or `pip install pynwb`), or give the target as an '
            "npz file."
        ) from None
    return pynwb


def _times_s(series) -> np.ndarray:
    if series.timestamps is not None:
        return np.asarray(series.timestamps[:], dtype=np.float64)
    n = len(series.data)
    rate = float(series.rate)
    return float(series.starting_time or 0.0) + np.arange(n, dtype=np.float64) / rate


def _values_si(series) -> np.ndarray:
    data = np.asarray(series.data[:], dtype=np.float64)
    offset = float(getattr(series, "offset", 0.0) or 0.0)
    return data * float(series.conversion) + offset


def _pairs_from_table(nwbfile) -> dict[str, Any]:
    """response name -> stimulus series, from the icephys intracellular_recordings table."""
    table = getattr(nwbfile, "intracellular_recordings", None)
    pairs: dict[str, Any] = {}
    if table is None:
        return pairs
    try:
        responses = table["responses"]["response"]
        stimuli = table["stimuli"]["stimulus"]
        for k in range(len(table)):
            response, stimulus = responses[k], stimuli[k]
            r = getattr(response, "timeseries", None)
            s = getattr(stimulus, "timeseries", None)
            if r is not None and s is not None and getattr(stimulus, "count", 1) > 0:
                pairs[r.name] = s
    except (KeyError, AttributeError, IndexError, TypeError):
        return {}
    return pairs


def read_current_clamp(path: str | os.PathLike) -> dict[str, CurrentClampRecording]:
    """Every ``CurrentClampSeries`` in the acquisition of the NWB file ``path``, by name.

    Raises:
        NWBError: pynwb is not installed, the file cannot be read, or it holds no
            CurrentClampSeries.
    """
    pynwb = _pynwb()
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    if not os.path.exists(path):
        raise NWBError(f"Target file {str(path)!r} does not exist.")
    try:
        io = pynwb.NWBHDF5IO(str(path), "r")
        nwbfile = io.read()
    except Exception as e:  # h5py and hdmf raise many kinds
        raise NWBError(f"{path}: not a readable NWB file ({type(e).__name__}: {e}).") from None
    try:
        responses = {
            name: s for name, s in nwbfile.acquisition.items() if isinstance(s, CurrentClampSeries)
        }
        if not responses:
            kinds = sorted({type(s).__name__ for s in nwbfile.acquisition.values()})
            raise NWBError(
                f"{path}: no CurrentClampSeries in the file's acquisition (it holds "
                f"{kinds or 'nothing'}); dendrax fits current-clamp recordings (membrane "
                "potential under an injected current)."
            )
        stimuli = [
            s for s in nwbfile.stimulus.values() if isinstance(s, CurrentClampStimulusSeries)
        ]
        table = _pairs_from_table(nwbfile)
        out = {}
        for name, series in responses.items():
            stim = table.get(name) or _match_stimulus(series, stimuli)
            t_s = _times_s(series)
            if t_s.size < 2 or np.any(np.diff(t_s) <= 0):
                raise NWBError(f"{path}: series {name!r} needs >= 2 increasing sample times.")
            electrode = getattr(series, "electrode", None)
            rec = CurrentClampRecording(
                name=name,
                t_ms=(t_s - t_s[0]) * 1e3,
                v_mV=_values_si(series) * 1e3,
                stimulus_name=None if stim is None else stim.name,
                stimulus_t_ms=None if stim is None else (_times_s(stim) - t_s[0]) * 1e3,
                stimulus_nA=None if stim is None else _values_si(stim) * 1e9,
                electrode=None if electrode is None else electrode.name,
            )
            if rec.v_mV.shape != rec.t_ms.shape:
                raise NWBError(
                    f"{path}: series {name!r} has {rec.v_mV.size} values for {rec.t_ms.size} "
                    "sample times."
                )
            out[name] = rec
        return out
    finally:
        io.close()


def _match_stimulus(series, stimuli: list):
    electrode = getattr(series, "electrode", None)
    same_electrode = [s for s in stimuli if getattr(s, "electrode", None) is electrode]
    sweep = getattr(series, "sweep_number", None)
    if sweep is not None:
        same_sweep = [s for s in same_electrode if getattr(s, "sweep_number", None) == sweep]
        if len(same_sweep) == 1:
            return same_sweep[0]
    if len(same_electrode) == 1:
        return same_electrode[0]
    return None


def zero_order_hold(t_ms: np.ndarray, i_nA: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints of a piecewise-linear waveform equal to the sampled current held constant
    from each sample to the next (a digitiser's output): ``(t_ms, i_nA)`` for
    :class:`dendrax.Waveform`, with a vertical jump at every change (two points at one time)
    and nothing in between. The last sample is held for one more sample interval."""
    t = np.asarray(t_ms, dtype=np.float64)
    i = np.asarray(i_nA, dtype=np.float64)
    if t.size < 2:
        raise NWBError("a stimulus series needs at least 2 samples.")
    end = t[-1] + (t[-1] - t[-2])
    change = np.flatnonzero(np.diff(i) != 0) + 1
    ts, vs = [t[0]], [i[0]]
    for k in change:
        ts += [t[k], t[k]]
        vs += [i[k - 1], i[k]]
    ts.append(end)
    vs.append(i[-1])
    return np.asarray(ts), np.asarray(vs)
