"""Write fitted parameter values back into a JSON model (dendrax model format v1).

The result has exactly the input's fields and layout, with the trained quantities replaced: the
model format stores ``Ra_ohm_cm``, ``cm_uF_cm2``, ``length_um`` and mechanism parameters per
branch and ``diam_um`` per compartment, so a trained quantity must be uniform within every
branch it touches (except the diameter) and must cover whole branches. ``dendrax fit`` only
accepts such trainables; from Python, a :class:`dendrax.ParameterMap` with per-compartment
values of another quantity is refused here with an error that says so. Writing dispatches on
the quantity's type (one writer per kind of quantity).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Mapping

import numpy as np

from ..model._cell import Cell
from ..solve._system import System
from ..train._parameter_map import ParameterMap
from ..train._quantities import CableParameter, MechanismParameter, Quantity


@functools.singledispatch
def _write(quantity: Quantity, branch: dict, values: np.ndarray, name: str, b: int) -> None:
    """Write branch ``b``'s fitted ``values`` (one per compartment, in the System field's
    units) into the model's branch dict."""
    raise ValueError(
        f"Trainable {name!r}: {quantity.describe()} cannot be stored in a version-1 model file."
    )


def _uniform(values: np.ndarray, name: str, branch_index: int, field: str) -> float:
    if np.ptp(values) > 0:
        raise ValueError(
            f"Trainable {name!r} has different values inside branch {branch_index}; a model file "
            f"stores {field} per branch. Share it per branch (or coarser) to save it."
        )
    return float(values[0])


@_write.register
def _(quantity: CableParameter, branch: dict, values: np.ndarray, name: str, b: int) -> None:
    field = quantity.field
    if field == "diam_um":
        branch["diam_um"] = [float(x) for x in values]
    elif field == "length_um":
        branch["length_um"] = _uniform(values, name, b, field) * values.size
    else:
        branch[field] = _uniform(values, name, b, field)


@_write.register
def _(quantity: MechanismParameter, branch: dict, values: np.ndarray, name: str, b: int) -> None:
    value = _uniform(values, name, b, quantity.parameter)
    mechanisms = branch.setdefault("mechanisms", {})
    mechanisms.setdefault(quantity.mechanism.name, {})[quantity.parameter] = value


def fitted_model_dict(
    model: Mapping, cell: Cell, system: System, parameter_map: ParameterMap, params: Mapping
) -> dict:
    """A copy of the model dict with the values of ``params`` (physical) written in.

    Args:
        model: the parsed JSON model that ``cell`` and ``system`` were built from.
        cell, system: its description and compiled System.
        parameter_map: the trainables; ``params`` their fitted values.
    """
    fitted = parameter_map.apply(system, dict(params))
    out = copy.deepcopy(dict(model))
    branch_of = cell.geometry.branch_of_compartment()
    offsets = cell.geometry.offsets
    ncomp = cell.geometry.ncomp
    for e in parameter_map.entries:
        leaf = np.asarray(e.getter(fitted), dtype=np.float64)  # the System field's units
        positions = np.asarray(e.positions)
        comps = np.asarray(e.compartments)
        values = np.zeros(cell.n_compartments)
        values[comps] = leaf[positions]
        for b in np.unique(branch_of[comps]).tolist():
            idx = np.arange(offsets[b], offsets[b] + ncomp[b])
            if not np.all(np.isin(idx, comps)):
                raise ValueError(
                    f"Trainable {e.name!r} covers part of branch {b} only; a model file stores "
                    "one value per branch. Select whole branches (regions or branch indices)."
                )
            _write(e.quantity, out["branches"][b], values[idx], e.name, b)
    return out


def write_fitted_model(
    path: str | os.PathLike,
    model: Mapping,
    cell: Cell,
    system: System,
    parameter_map: ParameterMap,
    params: Mapping,
) -> dict:
    """Write :func:`fitted_model_dict` to ``path`` as JSON (loadable by ``dendrax simulate``)."""
    out = fitted_model_dict(model, cell, system, parameter_map, params)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return out
