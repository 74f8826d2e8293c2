"""dendrax's JSON model format, version 1 (``"format": "neuroref-case/1"``).

The format is documented in docs/model_format.md. A file describes one cell as branches of
cylindrical compartments, the mechanisms on each branch, stimuli, recordings, temperature,
initial voltage, time step and method. Every field is checked; errors name the field and say
how to fix it.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..mechanisms import DEFAULT_REGISTRY, MechanismRegistry
from ..model._cell import Cell
from ..model._compile._records import is_recordable_name
from ..model._stimuli import IClamp, SEClamp, Waveform
from ..morphology._geometry import BranchGeometry, Geometry
from ..morphology._selection import Location
from ..solve._methods import BackwardEuler, CrankNicolson
from ._checks import check_number, check_unknown
from ._model_v2 import (
    globals_from_dict,
    insert_mechanism,
    seclamp_from_dict,
    set_ions,
)

FORMATS = ("neuroref-case/1", "neuroref-case/2")
METHODS = {"backward_euler": BackwardEuler, "crank_nicolson": CrankNicolson}
_TOP_REQUIRED = ("celsius", "v_init_mV", "dt_ms", "tstop_ms", "method", "branches")
_TOP_OPTIONAL = (
    "format", "name", "description", "stimuli", "recordings", "n_branches",
    "n_compartments", "units", "source", "globals", "mechanisms_used", "mod_files",
)  # fmt: skip
_BRANCH_FIELDS = (
    "name", "parent", "parent_x", "length_um", "ncomp", "diam_um", "Ra_ohm_cm",
    "cm_uF_cm2", "mechanisms", "swc_type", "ions",
)  # fmt: skip


class ModelFileError(ValueError):
    """A model file that cannot be read; the message names the field and the fix."""


def _number(where: str, value: Any, *, positive=False, nonneg=False) -> float:
    return check_number(where, value, error=ModelFileError, positive=positive, nonneg=nonneg)


def _index(where: str, value: Any, n: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelFileError(f"{where} must be an integer {what} index, got {value!r}.")
    if not 0 <= value < n:
        raise ModelFileError(
            f"{where}={value} does not exist: valid {what} indices are 0..{n - 1}."
        )
    return value


def _x(where: str, value: Any) -> float:
    x = _number(where, value)
    if not 0.0 <= x <= 1.0:
        raise ModelFileError(f"{where}={x} is outside [0, 1]; x runs along a branch from 0 to 1.")
    return x


def _unknown(where: str, data: Mapping, allowed) -> None:
    check_unknown(where, data, allowed, error=ModelFileError)


def _branch(k: int, b: Any, n_prev: int) -> tuple[BranchGeometry, dict]:
    where = f"branches[{k}]"
    if not isinstance(b, Mapping):
        raise ModelFileError(f"{where} must be an object.")
    _unknown(where, b, _BRANCH_FIELDS)
    for f in ("parent", "length_um", "ncomp", "diam_um", "Ra_ohm_cm", "cm_uF_cm2"):
        if f not in b:
            raise ModelFileError(f"{where} lacks the field {f!r}.")
    parent = b["parent"]
    if k == 0:
        if parent != -1:
            raise ModelFileError(f"{where}.parent must be -1: branch 0 is the root.")
        parent_x = 1.0
    else:
        parent = _index(f"{where}.parent", parent, n_prev, "earlier branch")
        px = b.get("parent_x", 1.0)
        parent_x = _x(f"{where}.parent_x", 1.0 if px is None else px)
    ncomp = b["ncomp"]
    if isinstance(ncomp, bool) or not isinstance(ncomp, int) or ncomp < 1:
        raise ModelFileError(f"{where}.ncomp must be a positive integer, got {ncomp!r}.")
    length = _number(f"{where}.length_um", b["length_um"], positive=True)
    diam = b["diam_um"]
    if not isinstance(diam, list) or len(diam) != ncomp:
        raise ModelFileError(
            f"{where}.diam_um must be a list of ncomp={ncomp} diameters (µm), got {diam!r}."
        )
    diam = [_number(f"{where}.diam_um[{i}]", d, positive=True) for i, d in enumerate(diam)]
    swc_type = b.get("swc_type")
    kinds = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}
    if swc_type is None:
        kind = "soma" if k == 0 else "undefined"
    else:
        kind = kinds.get(swc_type, f"type_{swc_type}")
    geom = BranchGeometry.cylinder(
        length,
        np.asarray(diam),
        ncomp,
        parent=parent,
        parent_x=parent_x,
        kind=kind,
        name=b.get("name", ""),
    )
    props = {
        "Ra": _number(f"{where}.Ra_ohm_cm", b["Ra_ohm_cm"], positive=True),
        "cm": _number(f"{where}.cm_uF_cm2", b["cm_uF_cm2"], nonneg=True),
        "mechanisms": b.get("mechanisms", {}),
        "ions": b.get("ions"),
    }
    return geom, props


def cell_from_branches(
    branches: Any,
    registry: MechanismRegistry = DEFAULT_REGISTRY,
    where: str = "branches",
    global_values: Mapping[str, Mapping[str, float]] | None = None,
) -> Cell:
    """A :class:`Cell` from a model file's branch list (geometry, cable, mechanisms with
    one value or one per compartment, ions); ``global_values``: the file's ``globals``."""
    if not isinstance(branches, list) or not branches:
        raise ModelFileError(f"{where} must be a non-empty list.")
    global_values = global_values or {}
    geoms, props = [], []
    for k, b in enumerate(branches):
        g, p = _branch(k, b, k)
        geoms.append(g)
        props.append(p)
    cell = Cell(Geometry(tuple(geoms)))
    for k, p in enumerate(props):
        sel = cell.select(branches=[k])
        cell.set_cable(Ra_ohm_cm=p["Ra"], cm_uF_cm2=p["cm"], where=sel)
        if not isinstance(p["mechanisms"], Mapping):
            raise ModelFileError(f"{where}[{k}].mechanisms must be an object.")
        for mname, values in p["mechanisms"].items():
            insert_mechanism(
                cell,
                f"{where}[{k}].mechanisms",
                k,
                mname,
                values,
                registry,
                global_values.get(mname, {}),
                ModelFileError,
            )
        if p["ions"] is not None:
            mechanisms = tuple(registry[m] for m in p["mechanisms"])
            set_ions(cell, f"{where}[{k}].ions", k, p["ions"], ModelFileError, mechanisms)
    return cell


def registry_with_mod_files(
    mod_files: Any,
    registry: MechanismRegistry,
    base_dir: str | os.PathLike | None = None,
    where: str = "mod_files",
) -> MechanismRegistry:
    """``registry`` plus the mechanisms of a model file's ``mod_files`` (NMODL files imported
    by :func:`dendrax.load_mod`, paths relative to ``base_dir``: the model file's folder).

    A file's SUFFIX replaces a registry mechanism of the same name for this model (the file
    asks for that implementation); two listed files with the same SUFFIX are an error. The
    imports are cached by content (:func:`dendrax.load_mod`): an unchanged file is not parsed
    again, a changed one is.
    """
    if mod_files is None:
        return registry
    if not isinstance(mod_files, list) or not all(isinstance(f, str) and f for f in mod_files):
        raise ModelFileError(
            f"{where} must be a list of .mod file paths (relative to the model file), got "
            f"{mod_files!r}."
        )
    from .nmodl import NmodlError, load_mod

    base = pathlib.Path.cwd() if base_dir is None else pathlib.Path(base_dir)
    imported: dict[str, tuple[str, type]] = {}
    for k, name in enumerate(mod_files):
        path = base / name
        if not path.is_file():
            raise ModelFileError(
                f"{where}[{k}]={name!r}: no such file ({str(path)!r}); paths are relative to "
                "the model file's folder."
            )
        try:
            cls = load_mod(path)
        except NmodlError as e:
            raise ModelFileError(
                f"{where}[{k}]={name!r} cannot be imported: {e} (`dendrax mod-check FILE.mod` "
                "reports every file)"
            ) from None
        if cls.name in imported:
            raise ModelFileError(
                f"{where}[{k}]={name!r} and {where}[{imported[cls.name][0]}]="
                f"{imported[cls.name][1]!r} both define SUFFIX {cls.name!r}; list only one of "
                "them."
            )
        imported[cls.name] = (str(k), name)
        registry = MechanismRegistry([*(m for n, m in registry.items() if n != cls.name), cls])
    return registry


def model_from_dict(
    data: Mapping,
    registry: MechanismRegistry = DEFAULT_REGISTRY,
    base_dir: str | os.PathLike | None = None,
) -> tuple[Cell, dict]:
    """Build a :class:`Cell` and the keyword arguments of :func:`dendrax.compile` from a model.

    Returns ``(cell, options)`` where ``options`` holds dt_ms, t_stop_ms, method, v_init_mV and
    celsius. ``registry`` maps the file's mechanism names to classes (default: the built-in
    ones; extend it with ``registry.with_mechanisms(...)``); the file's ``mod_files`` (NMODL
    files, paths relative to ``base_dir``, default the current directory) add to it
    (:func:`registry_with_mod_files`).
    """
    if not isinstance(data, Mapping):
        raise ModelFileError("A model file must hold a JSON object at the top level.")
    fmt = data.get("format", FORMATS[0])
    if fmt not in FORMATS:
        raise ModelFileError(f"format={fmt!r} is not supported; this dendrax reads {FORMATS}.")
    _unknown("model", data, _TOP_REQUIRED + _TOP_OPTIONAL)
    for f in _TOP_REQUIRED:
        if f not in data:
            raise ModelFileError(f"The model lacks the required field {f!r}.")
    options = run_options(data)
    branches = data["branches"]
    v2 = fmt == "neuroref-case/2"
    for f in ("globals", "mechanisms_used"):
        if f in data and not v2:
            raise ModelFileError(f"{f} is a field of format 'neuroref-case/2'; set format.")
    if not v2:
        for k, b in enumerate(branches if isinstance(branches, list) else []):
            if isinstance(b, Mapping) and "ions" in b:
                raise ModelFileError(
                    f"branches[{k}].ions is a field of format 'neuroref-case/2'; set format."
                )
        for k, s in enumerate(data.get("stimuli", [])):
            if isinstance(s, Mapping) and s.get("type") == "seclamp":
                raise ModelFileError(
                    f"stimuli[{k}]: 'seclamp' is a stimulus of format 'neuroref-case/2'; set "
                    "format."
                )
    registry = registry_with_mod_files(data.get("mod_files"), registry, base_dir)
    global_values = globals_from_dict(data.get("globals"), registry, ModelFileError)
    cell = cell_from_branches(branches, registry, global_values=global_values)
    nb = len(branches)
    for s_i, s in enumerate(data.get("stimuli", [])):
        stim, loc = stimulus_from_dict(f"stimuli[{s_i}]", s, cell)
        if isinstance(stim, SEClamp):
            cell.stimulate(stim, at=loc, key=f"stim{s_i}")
        else:
            cell.stimulate(stim, at=loc)
    for r_i, r in enumerate(data.get("recordings", [])):
        where = f"recordings[{r_i}]"
        if not isinstance(r, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        _unknown(where, r, ("key", "var", "branch", "x", "comp", "mechanism", "unit", "stim"))
        key = r.get("key")
        if not isinstance(key, str) or not key or key == "t" or key.startswith("spikes__"):
            raise ModelFileError(f"{where}.key={key!r} must be a non-empty name other than 't'.")
        loc = Location(
            _index(f"{where}.branch", r.get("branch"), nb, "branch"), _x(f"{where}.x", r.get("x"))
        )
        _check_comp(where, r, cell, loc)
        var = r.get("var")
        if not isinstance(var, str):
            raise ModelFileError(f"{where}.var must be 'v' or a mechanism state name.")
        mech = r.get("mechanism")
        if var == "i_seclamp":
            stim_index = r.get("stim")
            stims = data.get("stimuli", [])
            if (
                isinstance(stim_index, bool)
                or not isinstance(stim_index, int)
                or not 0 <= stim_index < len(stims)
                or not isinstance(stims[stim_index], Mapping)
                or stims[stim_index].get("type") != "seclamp"
            ):
                raise ModelFileError(
                    f"{where}: var 'i_seclamp' needs 'stim', the index of a seclamp in stimuli."
                )
            clamp = stims[stim_index]
            at_clamp = cell.compartment(Location(int(clamp["branch"]), float(clamp["x"])))
            if at_clamp != cell.compartment(loc):
                raise ModelFileError(
                    f"{where}: the current of the clamp stimuli[{stim_index}] is recorded where "
                    f"the clamp is: branch {clamp['branch']}, x {clamp['x']}."
                )
            var, mech = "i", f"stim{stim_index}"
        elif mech is None and var != "v" and "." not in var and registry.owners_of_state(var):
            mech = _state_owner(where, var, registry)
        elif mech is None and not is_recordable_name(var, registry.values()):
            raise ModelFileError(
                f"{where}.var={var!r} is neither 'v' nor a state, current or ion variable of a "
                f"known mechanism (states: { {n: list(c.states) for n, c in registry.items()} })."
            )
        try:
            cell.record(var, at=loc, key=key, mechanism=mech)
        except ValueError as e:
            raise ModelFileError(f"{where}: {e}") from None
    return cell, options


def run_options(data: Mapping) -> dict:
    """The keyword arguments of :func:`dendrax.compile` from a file's top level: dt_ms,
    t_stop_ms, method, v_init_mV, celsius."""
    method = data["method"]
    name = method.get("name") if isinstance(method, Mapping) else method
    if name not in METHODS:
        raise ModelFileError(f"method.name={name!r} is unknown; use one of {sorted(METHODS)}.")
    dt = _number("dt_ms", data["dt_ms"], positive=True)
    tstop = _number("tstop_ms", data["tstop_ms"], positive=True)
    n = round(tstop / dt)
    if n < 1 or abs(n * dt - tstop) > 1e-9 * max(1.0, tstop):
        raise ModelFileError(
            f"tstop_ms={tstop} is not an integer multiple of dt_ms={dt}; "
            f"use e.g. tstop_ms={max(n, 1) * dt:g}."
        )
    return {
        "dt_ms": dt,
        "t_stop_ms": tstop,
        "method": METHODS[name](),
        "v_init_mV": _number("v_init_mV", data["v_init_mV"]),
        "celsius": _number("celsius", data["celsius"]),
    }


def stimulus_from_dict(
    where: str, s: Any, cell: Cell, extra: tuple[str, ...] = ()
) -> tuple[IClamp | Waveform | SEClamp, Location]:
    """A stimulus entry (``iclamp`` or ``waveform``) and its location in ``cell``; ``extra``
    names further allowed fields (a network's ``cell``)."""
    if not isinstance(s, Mapping):
        raise ModelFileError(f"{where} must be an object.")
    nb = cell.geometry.n_branches
    loc = Location(
        _index(f"{where}.branch", s.get("branch"), nb, "branch"), _x(f"{where}.x", s.get("x"))
    )
    stim: IClamp | Waveform | SEClamp
    kind = s.get("type")
    if kind == "iclamp":
        _unknown(where, s, ("type", "branch", "x", "comp", "delay_ms", "dur_ms", "amp_nA") + extra)
        stim = IClamp(
            _number(f"{where}.delay_ms", s.get("delay_ms")),
            _number(f"{where}.dur_ms", s.get("dur_ms"), nonneg=True),
            _number(f"{where}.amp_nA", s.get("amp_nA")),
        )
    elif kind == "seclamp":
        stim = seclamp_from_dict(where, s, ModelFileError, extra)
    elif kind == "waveform":
        _unknown(where, s, ("type", "branch", "x", "comp", "t_ms", "i_nA", "interpolation") + extra)
        if s.get("interpolation", "linear") != "linear":
            raise ModelFileError(f"{where}.interpolation must be 'linear'.")
        t, i = s.get("t_ms"), s.get("i_nA")
        if not isinstance(t, list) or not isinstance(i, list) or len(t) != len(i) or not t:
            raise ModelFileError(f"{where}: t_ms and i_nA must be lists of equal length.")
        t = [_number(f"{where}.t_ms[{j}]", v) for j, v in enumerate(t)]
        i = [_number(f"{where}.i_nA[{j}]", v) for j, v in enumerate(i)]
        stim = Waveform(np.asarray(t), np.asarray(i))
    else:
        raise ModelFileError(f"{where}.type={kind!r}: use 'iclamp', 'waveform' or 'seclamp'.")
    _check_comp(where, s, cell, loc)
    return stim, loc


def _state_owner(where: str, var: str, registry: MechanismRegistry) -> str | None:
    owners = registry.owners_of_state(var)
    if not owners:
        raise ModelFileError(
            f"{where}.var={var!r} is neither 'v' nor a state of a known mechanism "
            f"({ {n: list(c.states) for n, c in registry.items()} })."
        )
    return owners[0] if len(owners) == 1 else None


def _check_comp(where: str, entry: Mapping, cell: Cell, loc: Location) -> None:
    """The optional ``comp`` field must agree with ``x`` (it is informative, x is the truth)."""
    if "comp" not in entry:
        return
    ncomp = cell.geometry.branches[loc.branch].ncomp
    comp = _index(f"{where}.comp", entry["comp"], ncomp, f"compartment (of branch {loc.branch})")
    expected = cell.compartment(loc) - int(cell.geometry.offsets[loc.branch])
    if comp != expected:
        raise ModelFileError(
            f"{where}: comp={comp} disagrees with x={loc.x} (which lies in compartment "
            f"{expected} of {ncomp}); fix one of them or drop 'comp'."
        )


def load_model(
    path: str | os.PathLike, registry: MechanismRegistry = DEFAULT_REGISTRY
) -> tuple[Cell, dict]:
    """Read a JSON model file; see :func:`model_from_dict` (``mod_files`` are relative to the
    file's folder)."""
    return model_from_dict(read_json(path, "Model"), registry, pathlib.Path(path).parent)


def read_json(path: str | os.PathLike, what: str) -> Any:
    """The JSON content of a model or network file (``what``: "Model", "Network"), with
    errors that name the file."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ModelFileError(f"{what} file {str(path)!r} does not exist.") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: not valid JSON ({e}).") from None
