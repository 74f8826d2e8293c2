"""Write a :class:`dendrax.Cell` and its compile options as a JSON model file (format v1).

The inverse of :func:`dendrax.load_model`; the format is documented in docs/model_format.md
(``dendrax docs model_format``). Version 1 describes a cell as branches of equal-length
cylinders with one axial resistivity, one capacitance and one set of mechanism parameters per
branch; a cell outside that (values that vary inside a branch, a mechanism on part of a branch,
geometry imported with NEURON's 3-D frusta) is refused with an error that names the branch and
the fix, never written approximately.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..mechanisms._base import Channel
from ..model._cell import Cell, Placement, Recording
from ..model._stimuli import IClamp, Waveform
from ..solve._methods import BackwardEuler, CrankNicolson, Method

FORMAT = "neuroref-case/1"
_SWC_TYPES = {"soma": 1, "axon": 2, "basal": 3, "apical": 4}
_METHOD_NAMES = {BackwardEuler: "backward_euler", CrankNicolson: "crank_nicolson"}
_RESERVED_PREFIX = "spikes__"


def save_model(
    path: str | os.PathLike,
    cell: Cell,
    *,
    dt_ms: float = 0.025,
    t_stop_ms: float = 100.0,
    method: Method | None = None,
    v_init_mV: float = -65.0,
    celsius: float = 6.3,
    name: str | None = None,
    description: str | None = None,
) -> None:
    """Write ``cell`` and the simulation options to a JSON model file (format version 1).

    ``dx.save_model(path, cell, **options)`` with the ``options`` of ``cell, options =
    dx.load_model(path)`` writes an equivalent file: compiling the cell that
    :func:`dendrax.load_model` reads back gives the same traces.

    Args:
        path: the file to write (JSON; overwritten if it exists).
        cell: the cell: geometry, cable properties, mechanisms, stimuli and recordings.
        dt_ms: time step (ms), > 0.
        t_stop_ms: end time (ms), an integer multiple of ``dt_ms``.
        method: ``dx.BackwardEuler()`` (default) or ``dx.CrankNicolson()``.
        v_init_mV: initial membrane potential everywhere (mV).
        celsius: temperature (°C); default 6.3 °C, NEURON's (and :func:`dendrax.compile`'s).
        name, description: optional free text stored in the file.

    What the format stores, per branch: parent and attachment point ``parent_x``, total length
    (µm), number of compartments, one diameter per compartment (µm), ``Ra_ohm_cm`` (Ω·cm),
    ``cm_uF_cm2`` (µF/cm²), the mechanisms with all their parameter values (written by
    ``type(channel).name``: reading the file back needs a mechanism of that name, like ``hh``
    and ``pas``), and the region (``swc_type`` from the branch kind). Stimuli (``IClamp``,
    ``Waveform``) and recordings are written at the centre ``x`` of their compartment; a
    recorded state names its mechanism when one mechanism there has a state of that name.
    Compartment centre coordinates (``xyz_um``) are not stored, and neither are groups made
    with ``cell.add_group`` (a warning names them).

    Raises:
        ValueError: the cell has something version 1 cannot represent (the message names the
            branch and says how to change the cell), or an option is invalid.
        TypeError: ``method`` is not a dendrax method.
    """
    data = model_to_dict(
        cell,
        dt_ms=dt_ms,
        t_stop_ms=t_stop_ms,
        method=method,
        v_init_mV=v_init_mV,
        celsius=celsius,
        name=name,
        description=description,
    )
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def model_to_dict(
    cell: Cell,
    *,
    dt_ms: float = 0.025,
    t_stop_ms: float = 100.0,
    method: Method | None = None,
    v_init_mV: float = -65.0,
    celsius: float = 6.3,
    name: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The JSON object :func:`save_model` writes (see there); the inverse of
    ``dendrax.io._model_json.model_from_dict``."""
    if not isinstance(cell, Cell):
        raise TypeError(f"save_model(cell=...) takes a dendrax.Cell, got {type(cell).__name__}.")
    if cell.points:
        raise ValueError(
            f"save_model: the cell has {len(cell.points)} point mechanism(s) (placed with "
            "cell.place); model format v1 stores density mechanisms only. Save the cell without "
            "them, or keep the model in Python."
        )
    data: dict[str, Any] = {"format": FORMAT}
    if name is not None:
        data["name"] = str(name)
    if description is not None:
        data["description"] = str(description)
    data.update(_options(dt_ms, t_stop_ms, method, v_init_mV, celsius))
    resolved = _resolve_mechanisms(cell)
    per_branch = _mechanisms_per_branch(cell, resolved)
    data["branches"] = [_branch(cell, k, per_branch[k]) for k in range(cell.geometry.n_branches)]
    data["stimuli"] = [_stimulus(cell, i, p) for i, p in enumerate(cell.placements)]
    data["recordings"] = [_recording(cell, r, resolved) for r in cell.recordings]
    data["n_branches"] = cell.geometry.n_branches
    data["n_compartments"] = cell.n_compartments
    if cell.groups:
        warnings.warn(
            f"save_model: the groups {sorted(cell.groups)} are not stored (model format v1 has "
            "no groups); recreate them after load_model with cell.add_group(name, selection).",
            UserWarning,
            stacklevel=3,
        )
    return data


def _number(what: str, value: Any, *, positive: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"save_model({what}={value!r}): must be a number.") from None
    if not math.isfinite(x) or (positive and x <= 0):
        need = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"save_model({what}={value!r}): must be {need}.")
    return x


def _options(dt_ms, t_stop_ms, method, v_init_mV, celsius) -> dict[str, Any]:
    dt = _number("dt_ms", dt_ms, positive=True)
    tstop = _number("t_stop_ms", t_stop_ms, positive=True)
    n = round(tstop / dt)
    if n < 1 or abs(n * dt - tstop) > 1e-9 * max(1.0, tstop):
        raise ValueError(
            f"save_model(t_stop_ms={tstop}): not an integer multiple of dt_ms={dt}; use e.g. "
            f"t_stop_ms={max(n, 1) * dt:g}."
        )
    method = BackwardEuler() if method is None else method
    if type(method) not in _METHOD_NAMES:
        raise TypeError(
            f"save_model(method={method!r}): use dendrax.BackwardEuler() or CrankNicolson()."
        )
    return {
        "celsius": _number("celsius", celsius),
        "v_init_mV": _number("v_init_mV", v_init_mV),
        "dt_ms": dt,
        "tstop_ms": tstop,
        "method": {"name": _METHOD_NAMES[type(method)]},
    }


def _branch_label(cell: Cell, k: int) -> str:
    b = cell.geometry.branches[k]
    return f"branch {k}" + (f" ({b.name!r})" if b.name else "")


def _branch_slice(cell: Cell, k: int) -> slice:
    start = int(cell.geometry.offsets[k])
    return slice(start, start + cell.geometry.branches[k].ncomp)


def _resolve_mechanisms(cell: Cell) -> dict[type[Channel], tuple[np.ndarray, dict]]:
    """Per channel type (in the cell's order of first insertion): where it is inserted and its
    parameter values per compartment, resolved as :func:`dendrax.compile` does (later
    insertions override earlier values)."""
    by_type: dict[type[Channel], list] = {}
    for ins in cell.insertions:
        by_type.setdefault(type(ins.channel), []).append(ins)
    names = [t.name for t in by_type]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(
            f"save_model: two different channel classes share the name(s) {dup}; a model file "
            "refers to mechanisms by name. Give each class its own `name`."
        )
    n = cell.n_compartments
    out = {}
    for ctype, inserts in by_type.items():
        mask = np.zeros(n, dtype=bool)
        values = {p: np.zeros(n) for p in ctype.parameters}
        for ins in inserts:
            mask[ins.indices] = True
            for p, val in ins.parameter_values().items():  # uniform or per compartment
                values[p][ins.indices] = val
        out[ctype] = (mask, values)
    return out


def _mechanisms_per_branch(
    cell: Cell, resolved: Mapping[type[Channel], tuple[np.ndarray, dict]]
) -> list[dict[str, dict[str, float]]]:
    """``{name: {param: value}}`` per branch; refuses what varies inside a branch."""
    out: list[dict[str, dict[str, float]]] = [{} for _ in range(cell.geometry.n_branches)]
    for ctype, (mask, values) in resolved.items():
        for k in range(cell.geometry.n_branches):
            sl = _branch_slice(cell, k)
            m = mask[sl]
            if not m.any():
                continue
            where = _branch_label(cell, k)
            if not m.all():
                raise ValueError(
                    f"save_model: mechanism {ctype.name!r} is inserted on {int(m.sum())} of the "
                    f"{m.size} compartments of {where}; model format v1 inserts mechanisms on "
                    "whole branches. Insert it on whole branches (where=cell.select(branches="
                    "[...]) or a region), or split the branch into two branches."
                )
            params = {}
            for p, v in values.items():
                vb = v[sl]
                if np.any(vb != vb[0]):
                    raise ValueError(
                        f"save_model: {ctype.name}.{p} varies inside {where} (from "
                        f"{vb.min():g} to {vb.max():g}); model format v1 stores one value per "
                        "branch. Give it one value on the whole branch, or split the branch."
                    )
                params[p] = float(vb[0])
            out[k][ctype.name] = params
    return out


def _total_length(seg: float, n: int) -> float:
    """A total length L (µm) whose compartments ``L / n`` are exactly ``seg``, if one exists."""
    total = seg * n
    candidates = [total, float(np.nextafter(total, np.inf)), float(np.nextafter(total, -np.inf))]
    for c in candidates:
        if c / n == seg:
            return c
    return total


def _swc_type(cell: Cell, k: int) -> int | None:
    kind = cell.geometry.branches[k].kind
    if kind in _SWC_TYPES:
        return _SWC_TYPES[kind]
    if kind.startswith("type_") and kind[5:].isdigit():
        return int(kind[5:])
    if kind == "undefined" and k > 0:
        return None  # a branch without swc_type reads back as "undefined"
    fix = "give branch 0 kind='soma'" if k == 0 else "relabel the branch"
    raise ValueError(
        f"save_model: {_branch_label(cell, k)} has kind={kind!r}, which model format v1 cannot "
        f"store (regions are SWC types: soma, axon, basal, apical or type_N"
        + (", and a root without one reads back as 'soma'" if k == 0 else "")
        + f"). To save the cell, {fix} with one of 'soma', 'axon', 'basal', 'apical' or "
        "'type_N' (N an integer), e.g. BranchGeometry.cylinder(..., kind='apical')."
    )


def _branch(cell: Cell, k: int, mechanisms: Mapping[str, dict]) -> dict[str, Any]:
    b = cell.geometry.branches[k]
    where = _branch_label(cell, k)
    for field in ("area_scale", "axial_scale_left", "axial_scale_right"):
        scale = np.asarray(getattr(b, field))
        if np.any(scale != 1.0):
            raise ValueError(
                f"save_model: {where} is not a chain of plain cylinders ({field} ranges from "
                f"{scale.min():.6g} to {scale.max():.6g}, not 1): it was imported from 3-D points "
                "with NEURON's frusta (dx.NeuronImport3d, the default of read_swc / to_cell). "
                "Model format v1 holds cylinders only: build the cell with "
                "morph.to_cell(policy, convention=dx.ReferenceConversion()) or from "
                "BranchGeometry.cylinder branches to save it."
            )
    seg = b.length_um
    if np.any(seg != seg[0]):
        raise ValueError(
            f"save_model: the compartments of {where} have different lengths ({seg.min():g} to "
            f"{seg.max():g} µm); model format v1 splits a branch into ncomp equal compartments. "
            "Use equal compartments (BranchGeometry.cylinder(length_um, diam_um, ncomp)) or "
            "split the branch."
        )
    sl = _branch_slice(cell, k)
    cable = {}
    for field, unit in (("Ra_ohm_cm", "Ω·cm"), ("cm_uF_cm2", "µF/cm²")):
        v = np.asarray(getattr(cell, field))[sl]
        if np.any(v != v[0]):
            raise ValueError(
                f"save_model: {field} varies inside {where} (from {v.min():g} to {v.max():g} "
                f"{unit}); model format v1 stores one value per branch. Set it on whole "
                f"branches (cell.set_cable({field}=..., where=cell.select(branches=[{k}]))) "
                "or split the branch."
            )
        cable[field] = float(v[0])
    out: dict[str, Any] = {"name": b.name, "parent": int(b.parent)}
    if k > 0:
        out["parent_x"] = float(b.parent_x)
    out["length_um"] = _total_length(float(seg[0]), b.ncomp)
    out["ncomp"] = b.ncomp
    out["diam_um"] = [float(d) for d in b.diam_um]
    out.update(cable)
    out["mechanisms"] = {name: dict(values) for name, values in mechanisms.items()}
    swc_type = _swc_type(cell, k)
    if swc_type is not None:
        out["swc_type"] = swc_type
    return out


def _location(cell: Cell, compartment: int) -> dict[str, Any]:
    """``branch``, ``x`` (the compartment's centre) and ``comp`` of a flat compartment index."""
    branch = int(cell.geometry.branch_of_compartment()[compartment])
    comp = compartment - int(cell.geometry.offsets[branch])
    ncomp = cell.geometry.branches[branch].ncomp
    return {"branch": branch, "x": (comp + 0.5) / ncomp, "comp": comp}


def _stimulus(cell: Cell, i: int, placement: Placement) -> dict[str, Any]:
    s = placement.stimulus
    loc = _location(cell, placement.compartment)
    if isinstance(s, IClamp):
        return {
            "type": "iclamp",
            **loc,
            "delay_ms": float(s.delay_ms),
            "dur_ms": float(s.dur_ms),
            "amp_nA": float(s.amp_nA),
        }
    if isinstance(s, Waveform):
        return {
            "type": "waveform",
            **loc,
            "t_ms": [float(t) for t in s.t_ms],
            "i_nA": [float(v) for v in s.i_nA],
        }
    raise ValueError(  # pragma: no cover - Cell.stimulate accepts only these two
        f"save_model: stimulus {i} is a {type(s).__name__}; model format v1 stores IClamp "
        "and Waveform stimuli only."
    )


def _recording(
    cell: Cell, rec: Recording, resolved: Mapping[type[Channel], tuple[np.ndarray, dict]]
) -> dict[str, Any]:
    if rec.key == "t" or rec.key.startswith(_RESERVED_PREFIX):
        raise ValueError(
            f"save_model: the recording key {rec.key!r} is reserved in model files ('t' and "
            f"'{_RESERVED_PREFIX}<key>' name the time and the spike times of the output); "
            "record it under another key (cell.record(..., key='...'))."
        )
    out: dict[str, Any] = {"key": rec.key, "var": rec.variable, **_location(cell, rec.compartment)}
    mechanism = rec.mechanism
    if mechanism is None and rec.variable != "v":  # name the owner when it is unambiguous
        owners = [
            t.name
            for t, (mask, _) in resolved.items()
            if mask[rec.compartment] and rec.variable in t.states
        ]
        mechanism = owners[0] if len(owners) == 1 else None
    if mechanism is not None:
        out["mechanism"] = mechanism
    return out
