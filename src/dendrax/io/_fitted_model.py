"""Write fitted parameter values back into a JSON model (dendrax model format v1).

The result has exactly the input's fields and layout, with the trained quantities replaced: the
model format stores ``Ra_ohm_cm``, ``cm_uF_cm2``, ``length_um`` and mechanism parameters per
branch and ``diam_um`` per compartment, so a trained quantity must be uniform within every
branch it touches (except the diameter) and must cover whole branches. ``dendrax fit`` only
accepts such trainables; from Python, a :class:`dendrax.ParameterMap` with per-compartment
values of another quantity is refused here with an error that says so.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping

import numpy as np

from ..model._cell import Cell
from ..model._system import System
from ..model._trainable import ParameterMap

# System field -> (branch field of the model file, per compartment?)
_CABLE_FIELDS = {
    "cm_uF_cm2": ("cm_uF_cm2", False),
    "Ra_ohm_cm": ("Ra_ohm_cm", False),
    "diam_um": ("diam_um", True),
    "length_um": ("length_um", False),
}


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
        leaf = np.asarray(e.getter(fitted), dtype=np.float64)
        positions = np.asarray(e.positions)
        if e.leaf[0] == "cable":
            comps = positions
            field, per_comp = _CABLE_FIELDS[e.leaf[1]]
            mechanism = None
        else:
            group = system.mechanisms[e.leaf[0]]
            comps = np.asarray(group.compartments)[positions]
            field, per_comp = e.leaf[1], False
            mechanism = group.channel_type.name
        values = np.zeros(cell.n_compartments)
        values[comps] = leaf[positions]
        for b in np.unique(branch_of[comps]):
            b = int(b)
            idx = np.arange(offsets[b], offsets[b] + ncomp[b])
            if not np.all(np.isin(idx, comps)):
                raise ValueError(
                    f"Trainable {e.name!r} covers part of branch {b} only; a model file stores "
                    "one value per branch. Select whole branches (regions or branch indices)."
                )
            v = values[idx]
            if not per_comp and np.ptp(v) > 0:
                raise ValueError(
                    f"Trainable {e.name!r} has different values inside branch {b}; a model file "
                    f"stores {field} per branch. Share it per branch (or coarser) to save it."
                )
            branch = out["branches"][b]
            if mechanism is not None:
                branch.setdefault("mechanisms", {}).setdefault(mechanism, {})[field] = float(v[0])
            elif field == "diam_um":
                branch["diam_um"] = [float(x) for x in v]
            elif field == "length_um":
                branch["length_um"] = float(v[0] * ncomp[b])
            else:
                branch[field] = float(v[0])
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
