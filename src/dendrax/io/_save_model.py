"""Write a :class:`dendrax.Cell` and its compile options as a JSON model file.

The inverse of :func:`dendrax.load_model`; the format is documented in docs/model_format.md
(``dendrax docs model_format``) and, for version 2, ``FORMAT_V2.md`` of the NEURON reference
cases (sections 2-5). A cell that version 1 (``"neuroref-case/1"``) can hold is written as
version 1, byte for byte as before; a cell that uses something only version 2
(``"neuroref-case/2"``) holds is written as version 2: parameter values that vary inside a
branch (one value per compartment), mechanism GLOBALs, ion settings (``Cell.set_ion``),
voltage clamps (``SEClamp``) and recordings of currents, ion variables and other mechanism
quantities. Both describe a cell as branches of equal-length cylinders with one axial
resistivity and one capacitance per branch, mechanisms on whole branches; a cell outside that
(cable values that vary inside a branch, a mechanism on part of a branch, geometry imported
with NEURON's 3-D frusta, ion settings on part of a branch) is refused with an error that
names the branch and the fix, never written approximately.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..mechanisms._base import Channel
from ..mechanisms._ions import SPECIES, parse_ion_variable
from ..model._cell import Cell, Placement, Recording
from ..model._compile._records import MEMBRANE_CURRENTS, breakpoint_names
from ..model._stimuli import IClamp, SEClamp, Waveform
from ..solve._methods import BackwardEuler, CrankNicolson, Method

FORMAT = "neuroref-case/1"
FORMAT_V2 = "neuroref-case/2"
_SECLAMP_FIELDS = ("rs_MOhm", "dur1_ms", "amp1_mV", "dur2_ms", "amp2_mV", "dur3_ms", "amp3_mV")
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
    """Write ``cell`` and the simulation options to a JSON model file.

    ``dx.save_model(path, cell, **options)`` with the ``options`` of ``cell, options =
    dx.load_model(path)`` writes an equivalent file: compiling the cell that
    :func:`dendrax.load_model` reads back gives the same System and the same traces (ion
    values that no mechanism reads come back as NEURON's defaults; they have no effect).

    Args:
        path: the file to write (JSON; overwritten if it exists).
        cell: the cell: geometry, cable properties, mechanisms, ion settings, stimuli and
            recordings.
        dt_ms: time step (ms), > 0.
        t_stop_ms: end time (ms), an integer multiple of ``dt_ms``.
        method: ``dx.BackwardEuler()`` (default) or ``dx.CrankNicolson()``.
        v_init_mV: initial membrane potential everywhere (mV).
        celsius: temperature (°C); default 6.3 °C, NEURON's (and :func:`dendrax.compile`'s).
        name, description: optional free text stored in the file.

    Mechanisms imported with :func:`dendrax.load_mod` from a file are listed in ``mod_files``
    (paths relative to the written file's folder), so :func:`dendrax.load_model` imports them
    again; one imported from NMODL text cannot be saved (ValueError: save the text to a file).

    What the format stores, per branch: parent and attachment point ``parent_x``, total length
    (µm), number of compartments, one diameter per compartment (µm), ``Ra_ohm_cm`` (Ω·cm),
    ``cm_uF_cm2`` (µF/cm²), the mechanisms with all their parameter values (written by
    ``type(channel).name``, NEURON's SUFFIX: reading the file back needs a mechanism of that
    name in the registry, like ``hh``, ``pas`` and the channel library), and the region
    (``swc_type`` from the branch kind). Stimuli (``IClamp``, ``Waveform``, ``SEClamp``) and
    recordings are written at the centre ``x`` of their compartment; a recorded state names its
    mechanism when one mechanism there has a state of that name.

    The file is format ``"neuroref-case/1"`` (unchanged from earlier dendrax versions) unless
    the cell uses something only ``"neuroref-case/2"`` holds (FORMAT_V2.md sections 2-5); then
    it is version 2, with ``mechanisms_used`` (the sorted SUFFIXes) and:

    - a parameter that varies inside a branch: a list of one value per compartment
      (compartment 0 first);
    - a mechanism with NEURON GLOBALs (``Mechanism.global_parameters``, e.g. ``Ih.ehcn``):
      top-level ``globals`` ``{SUFFIX: {name: value}}`` (refused if the value differs between
      compartments: NEURON has one value per model);
    - ``cell.set_ion(...)`` settings, per branch ``ions``: ``{ion: {"mode": "fixed",
      "erev_mV"}}`` where the reversal potential is fixed (``mode="fixed"``, or ``"auto"`` on a
      branch where no mechanism writes or reads the ion's concentrations), ``{ion: {"mode":
      "nernst", "ci0_mM", "co0_mM", "valence"}}`` where it is the Nernst potential
      (``mode="nernst"``, or ``"auto"`` where a mechanism uses the concentrations); values
      not given are NEURON's defaults (``dendrax.mechanisms.SPECIES``). Only what a mechanism
      of the branch uses is written (a fixed potential where one reads it, a Nernst ion where
      one reads the potential or uses the concentrations): NEURON ignores the rest, and so
      does the reader. Where it is written, a setting must cover the whole branch, and
      ``ci0_mM``/``co0_mM`` of a fixed ion whose concentration a mechanism reads must be the
      defaults (the file stores a fixed ion by ``erev_mV`` only);
    - ``SEClamp`` stimuli (``{"type": "seclamp", "rs_MOhm", "dur1_ms", "amp1_mV", ...}``) and
      the recordings of their current: ``{"var": "i_seclamp", "stim": index}`` (the reader
      names the clamp ``"stim<index>"``; recordings by the clamp's own key are mapped);
    - recordings of currents, conductances, ion totals, concentrations and reversal potentials
      (``"SUFFIX.name"`` or the ion variable, e.g. ``"Ih.ihcn"``, ``"ica"``, ``"cai"``), each
      with its ``unit`` where known.

    Not stored: compartment centre coordinates (``xyz_um``), groups made with
    ``cell.add_group`` (a warning names them), and ``compile(ion_values=...)`` (not part of the
    cell). The reader inserts mechanisms branch by branch; where the cell's order of first
    insertion differs from that (a mechanism first inserted on a later branch before one on an
    earlier branch), the System holds the same groups in another order, and the traces may
    differ by round-off (currents are summed in group order).

    Raises:
        ValueError: the cell has something the format cannot represent (the message names the
            branch and says how to change the cell), or an option is invalid.
        TypeError: ``method`` is not a dendrax method.
    """
    data = model_to_dict(
        cell,
        base_dir=pathlib.Path(path).parent,
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
    base_dir: str | os.PathLike | None = None,
    dt_ms: float = 0.025,
    t_stop_ms: float = 100.0,
    method: Method | None = None,
    v_init_mV: float = -65.0,
    celsius: float = 6.3,
    name: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The JSON object :func:`save_model` writes (see there); the inverse of
    ``dendrax.io._model_json.model_from_dict``. ``base_dir``: the folder the file will be in
    (default the current directory); the ``mod_files`` of mechanisms imported from NMODL files
    are written relative to it."""
    if not isinstance(cell, Cell):
        raise TypeError(f"save_model(cell=...) takes a dendrax.Cell, got {type(cell).__name__}.")
    if cell.points:
        raise ValueError(
            f"save_model: the cell has {len(cell.points)} point mechanism(s) (placed with "
            "cell.place); model format v1 stores density mechanisms only. Save the cell without "
            "them, or keep the model in Python."
        )
    resolved = _resolve_mechanisms(cell)
    global_values = _global_values(cell, resolved)
    per_branch, varies = _mechanisms_per_branch(cell, resolved, global_values)
    ions = _ions_per_branch(cell, resolved)
    clamps = {
        p.key: i
        for i, p in enumerate(cell.placements)
        if isinstance(p.stimulus, SEClamp) and p.key is not None
    }
    stimuli = [_stimulus(cell, i, p) for i, p in enumerate(cell.placements)]
    recordings = [_recording(cell, r, resolved, clamps) for r in cell.recordings]
    v2 = (
        bool(global_values)
        or varies
        or any(ions)
        or bool(clamps)
        or any(needs_v2 for _, needs_v2, _ in recordings)
    )
    data: dict[str, Any] = {"format": FORMAT_V2 if v2 else FORMAT}
    if name is not None:
        data["name"] = str(name)
    if description is not None:
        data["description"] = str(description)
    data.update(_options(dt_ms, t_stop_ms, method, v_init_mV, celsius))
    mod_files = _mod_files(resolved, base_dir)
    if mod_files:
        data["mod_files"] = mod_files
    if v2:
        if global_values:
            data["globals"] = global_values
        data["mechanisms_used"] = sorted(t.name for t in resolved)
    data["branches"] = [
        _branch(cell, k, per_branch[k], ions[k] if v2 else None)
        for k in range(cell.geometry.n_branches)
    ]
    data["stimuli"] = stimuli
    data["recordings"] = [_with_unit(r, unit) if v2 else r for r, _, unit in recordings]
    data["n_branches"] = cell.geometry.n_branches
    data["n_compartments"] = cell.n_compartments
    if cell.groups:
        warnings.warn(
            f"save_model: the groups {sorted(cell.groups)} are not stored (the model format "
            "has no groups); recreate them after load_model with cell.add_group(name, "
            "selection).",
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


def _mod_files(resolved, base_dir: str | os.PathLike | None) -> list[str]:
    """The NMODL files the cell's imported mechanisms came from (``nmodl_source``, set by
    :func:`dendrax.load_mod`), relative to ``base_dir``, in insertion order."""
    base = pathlib.Path.cwd() if base_dir is None else pathlib.Path(base_dir)
    out: list[str] = []
    for ctype in resolved:
        source = getattr(ctype, "nmodl_source", None)
        if source is None:
            continue
        if source == "<text>":
            raise ValueError(
                f"save_model: the mechanism '{ctype.name}' was imported from NMODL text, which a "
                "model file cannot refer to. Write the text to a .mod file and import it with "
                "dx.load_mod(path); save_model then lists that file in 'mod_files'."
            )
        rel = os.path.relpath(pathlib.Path(source).resolve(), base.resolve())
        if rel not in out:
            out.append(rel)
    return out


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


def _global_values(
    cell: Cell, resolved: Mapping[type[Channel], tuple[np.ndarray, dict]]
) -> dict[str, dict[str, float]]:
    """``{SUFFIX: {name: value}}`` of the NEURON GLOBALs (``global_parameters``) of the
    inserted mechanisms; refuses a GLOBAL whose value differs between compartments."""
    out: dict[str, dict[str, float]] = {}
    for ctype, (mask, values) in resolved.items():
        for p in ctype.global_parameters:
            v = values[p][mask]
            if np.any(v != v[0]):
                unit = ctype.parameters[p][1]
                raise ValueError(
                    f"save_model: {ctype.name}.{p} differs between insertions ({v.min():g} to "
                    f"{v.max():g} {unit}); it is a NEURON GLOBAL, one value for the whole model "
                    "(the model file's 'globals'). Give every insertion of "
                    f"{ctype.__name__} the same {p}, e.g. {ctype.__name__}"
                    f"({p}={float(v[0]):g})."
                )
            out.setdefault(ctype.name, {})[p] = float(v[0])
    return out


def _mechanisms_per_branch(
    cell: Cell,
    resolved: Mapping[type[Channel], tuple[np.ndarray, dict]],
    global_values: Mapping[str, Mapping[str, float]],
) -> tuple[list[dict[str, dict[str, Any]]], bool]:
    """``({name: {param: value}}`` per branch, whether a value varies inside a branch``);
    a value is a number, or a list of one value per compartment where it varies (version 2).
    GLOBALs are left out (they go to the top-level ``globals``). Refuses a mechanism on part
    of a branch."""
    out: list[dict[str, dict[str, Any]]] = [{} for _ in range(cell.geometry.n_branches)]
    varies = False
    for ctype, (mask, values) in resolved.items():
        globals_ = global_values.get(ctype.name, {})
        for k in range(cell.geometry.n_branches):
            sl = _branch_slice(cell, k)
            m = mask[sl]
            if not m.any():
                continue
            where = _branch_label(cell, k)
            if not m.all():
                raise ValueError(
                    f"save_model: mechanism {ctype.name!r} is inserted on {int(m.sum())} of the "
                    f"{m.size} compartments of {where}; the model format inserts mechanisms on "
                    "whole branches. Insert it on whole branches (where=cell.select(branches="
                    "[...]) or a region), or split the branch into two branches."
                )
            params: dict[str, Any] = {}
            for p, v in values.items():
                if p in globals_:
                    continue
                vb = v[sl]
                if np.any(vb != vb[0]):
                    params[p] = [float(x) for x in vb]  # one per compartment (version 2)
                    varies = True
                else:
                    params[p] = float(vb[0])
            out[k][ctype.name] = params
    return out, varies


def _valences(resolved: Mapping[type[Channel], Any]) -> dict[str, int]:
    """Valence of every ion known to NEURON or declared by an inserted mechanism."""
    valence = {name: s.valence for name, s in SPECIES.items()}
    for ctype in resolved:
        for ion, z in dict(ctype.ion_valences).items():
            valence.setdefault(ion, int(z))
    return valence


def _ion_users(
    cell: Cell, resolved: Mapping[type[Channel], tuple[np.ndarray, dict]], ion: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(reads_e, uses_c)`` per compartment: a mechanism there reads the ion's reversal
    potential; one reads or writes a concentration of it (where ``set_ion(mode="auto")``
    makes the potential the Nernst one, as :func:`dendrax.compile` and NEURON's ``ion_style``
    do). The reader decides by the same two tests which of a branch's ion specs matter."""
    n = cell.n_compartments
    reads_e, uses_c = np.zeros(n, bool), np.zeros(n, bool)
    conc = {ion + "i", ion + "o"}
    for ctype, (mask, _) in resolved.items():
        if "e" + ion in ctype.ion_reads:
            reads_e |= mask
        if conc & set(ctype.ion_reads + ctype.ion_writes):
            uses_c |= mask
    return reads_e, uses_c


def _uniform(a: np.ndarray) -> bool:
    return bool(np.array_equal(a, np.full_like(a, a[0]), equal_nan=True))


def _ions_per_branch(
    cell: Cell, resolved: Mapping[type[Channel], tuple[np.ndarray, dict]]
) -> list[dict[str, dict[str, Any]]]:
    """The ``ions`` of every branch from ``cell.ion_settings``, resolved per compartment as
    :func:`dendrax.compile` does (later settings override the values they give; the last
    ``mode`` other than "auto" holds). A branch gets a spec of an ion where a setting covers
    it and one of its mechanisms uses what the spec holds (reads the reversal potential, or
    for a Nernst ion uses its concentrations); elsewhere the value has no effect (NEURON
    ignores it, and so does the reader), and is not written."""
    n_branches = cell.geometry.n_branches
    out: list[dict[str, dict[str, Any]]] = [{} for _ in range(n_branches)]
    if not cell.ion_settings:
        return out
    valence = _valences(resolved)
    n = cell.n_compartments
    modes = {"auto": 0, "fixed": 1, "nernst": 2}
    for ion in dict.fromkeys(s.ion for s in cell.ion_settings):  # order of first setting
        covered = np.zeros(n, bool)
        mode = np.zeros(n, np.int8)
        given = {f: np.full(n, np.nan) for f in ("erev_mV", "ci0_mM", "co0_mM")}
        for s in cell.ion_settings:
            if s.ion != ion:
                continue
            covered[s.indices] = True
            for f, arr in given.items():
                value = getattr(s, f)
                if value is not None:
                    arr[s.indices] = value
            if s.mode != "auto":
                mode[s.indices] = modes[s.mode]
        reads_e, uses_c = _ion_users(cell, resolved, ion)
        for k in range(n_branches):
            sl = _branch_slice(cell, k)
            c = covered[sl]
            # mechanisms cover whole branches (checked before), so these are uniform
            branch_reads_e, branch_uses_c = bool(reads_e[sl].all()), bool(uses_c[sl].all())
            if not c.any() or not (branch_reads_e or branch_uses_c):
                continue
            where = _branch_label(cell, k)
            if not c.all():
                raise ValueError(
                    f"save_model: cell.set_ion({ion!r}, ...) covers {int(c.sum())} of the "
                    f"{c.size} compartments of {where}; the model file sets ions on whole "
                    f"branches. Call set_ion on whole branches (where=cell.select(branches="
                    f"[{k}]) or a region), or split the branch."
                )
            differ = [f for f, arr in (("mode", mode), *given.items()) if not _uniform(arr[sl])]
            if differ:
                raise ValueError(
                    f"save_model: the cell.set_ion({ion!r}, ...) settings give {differ} values "
                    f"that differ inside {where}; the model file holds one setting per branch. "
                    f"Give the whole branch one setting (where=cell.select(branches=[{k}])), or "
                    "split the branch."
                )
            first = {f: float(arr[sl][0]) for f, arr in given.items()}
            spec = _ion_spec(
                ion,
                int(mode[sl][0]),
                {f: None if math.isnan(x) else x for f, x in first.items()},
                branch_reads_e,
                branch_uses_c,
                valence.get(ion),
                where,
            )
            if spec is not None:
                out[k][ion] = spec
    return out


def _ion_spec(
    ion: str,
    mode: int,
    given: Mapping[str, float | None],
    reads_e: bool,
    uses_c: bool,
    valence: int | None,
    where: str,
) -> dict[str, Any] | None:
    """One branch's spec of ``ion`` (None: nothing that matters to write): ``mode`` 0 auto,
    1 fixed, 2 nernst; ``given`` the values set on it (None: not given); ``reads_e``,
    ``uses_c``: a mechanism there reads the reversal potential, uses a concentration."""
    species = SPECIES.get(ion)
    default = {
        "erev_mV": None if species is None else species.erev_mV,
        "ci0_mM": None if species is None else species.ci0_mM,
        "co0_mM": None if species is None else species.co0_mM,
    }
    if mode == 1 or (mode == 0 and not uses_c):  # the reversal potential is fixed
        if uses_c:  # mode "fixed" where a mechanism reads a (constant) concentration
            for f in ("ci0_mM", "co0_mM"):
                if given[f] is not None and given[f] != default[f]:
                    raise ValueError(
                        f"save_model: cell.set_ion({ion!r}, mode='fixed', {f}={given[f]:g}) on "
                        f"{where}, where a mechanism reads the (constant) concentration: the "
                        f"model file stores a fixed ion by its erev_mV only. Leave {f} at its "
                        "default there, use mode='nernst', or keep the model in Python."
                    )
        if not reads_e:
            return None  # nothing reads the potential here: it has no effect
        erev = given["erev_mV"] if given["erev_mV"] is not None else default["erev_mV"]
        if erev is None:
            raise ValueError(
                f"save_model: cell.set_ion({ion!r}, ...) on {where} fixes the reversal potential "
                f"of {ion}, which has no default; give it: cell.set_ion({ion!r}, erev_mV=...)."
            )
        return {"mode": "fixed", "erev_mV": float(erev)}
    # the Nernst potential of the concentrations (a given erev_mV is never used here)
    spec: dict[str, Any] = {"mode": "nernst"}
    for f in ("ci0_mM", "co0_mM"):
        value = given[f] if given[f] is not None else default[f]
        if value is not None:
            spec[f] = float(value)
    if valence is not None:
        spec["valence"] = int(valence)
    return spec


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


def _branch(
    cell: Cell, k: int, mechanisms: Mapping[str, dict], ions: Mapping[str, dict] | None
) -> dict[str, Any]:
    """One branch's entry; ``ions``: its ion specs (version 2; None or empty: none)."""
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
    if ions:
        out["ions"] = {ion: dict(spec) for ion, spec in ions.items()}
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
    if isinstance(s, SEClamp):
        return {"type": "seclamp", **loc, **{f: float(getattr(s, f)) for f in _SECLAMP_FIELDS}}
    raise ValueError(
        f"save_model: stimulus {i} is a {type(s).__name__}; the model format stores IClamp, "
        "Waveform and SEClamp stimuli only (a CurrentInput's waveform is given per simulate "
        "call). Replace it by a dx.Waveform(t_ms, i_nA) to save the cell."
    )


def _recording(
    cell: Cell,
    rec: Recording,
    resolved: Mapping[type[Channel], tuple[np.ndarray, dict]],
    clamps: Mapping[str, int],
) -> tuple[dict[str, Any], bool, str | None]:
    """``(entry, needs_v2, unit)`` of one recording: the voltage and mechanism states as in
    version 1; a clamp's current as ``"i_seclamp"`` with its ``stim`` index; anything else
    (currents, conductances, ion variables) by name, version 2."""
    if rec.key == "t" or rec.key.startswith(_RESERVED_PREFIX):
        raise ValueError(
            f"save_model: the recording key {rec.key!r} is reserved in model files ('t' and "
            f"'{_RESERVED_PREFIX}<key>' name the time and the spike times of the output); "
            "record it under another key (cell.record(..., key='...'))."
        )
    loc = _location(cell, rec.compartment)
    variable, mechanism = rec.variable, rec.mechanism
    types = {t.name: t for t in resolved}
    if mechanism is not None and mechanism in clamps:
        if variable not in ("i", "i_seclamp"):
            raise ValueError(
                f"save_model: recording {rec.key!r} records {variable!r} of the voltage clamp "
                f"{mechanism!r}; a clamp records its current only: cell.record('i', at, "
                f"mechanism={mechanism!r})."
            )
        entry = {"key": rec.key, "var": "i_seclamp", **loc, "stim": clamps[mechanism]}
        return entry, True, "nA"
    out: dict[str, Any] = {"key": rec.key, "var": variable, **loc}
    if variable == "v" and mechanism is None:
        return out, False, "mV"
    if mechanism is None and "." not in variable:  # name the owner when it is unambiguous
        owners = [
            t.name
            for t, (mask, _) in resolved.items()
            if mask[rec.compartment] and variable in t.states
        ]
        if not owners:  # an ion variable, a membrane current or NEURON's "ina_NaTa_t"
            return out, True, _unit(variable, types)
        mechanism = owners[0] if len(owners) == 1 else None
        if mechanism is None:
            return out, False, "1"
    if mechanism is None:  # "SUFFIX.name"
        return out, True, _unit(variable, types)
    mtype = types.get(mechanism)
    if mtype is None or variable in mtype.states:  # version 1: a state and its mechanism
        out["mechanism"] = mechanism
        return out, False, None if mtype is None else "1"
    out["var"] = f"{mechanism}.{variable}"
    return out, True, _unit(out["var"], types)


def _unit(variable: str, types: Mapping[str, type[Channel]]) -> str | None:
    """The unit of a recorded quantity (FORMAT_V2.md section 1), None where not known."""
    if "." in variable:
        mechanism, name = variable.split(".", 1)
    else:
        mechanism, name = None, variable
        for suffix in sorted(types, key=len, reverse=True):  # NEURON's "ina_NaTa_t"
            if variable.endswith("_" + suffix) and len(variable) > len(suffix) + 1:
                mechanism, name = suffix, variable[: -len(suffix) - 1]
                break
    if mechanism is not None:
        mtype = types.get(mechanism)
        if mtype is None:
            return None
        if name in mtype.states:
            return "1"
        currents, assigned = breakpoint_names(mtype)
        if name in currents:
            return "mA/cm2"
        if name in assigned and name.startswith("g"):
            return "S/cm2"
        return None
    if name in MEMBRANE_CURRENTS:
        return "mA/cm2"
    known = _valences(dict.fromkeys(types.values()))
    try:
        ion, kind = parse_ion_variable(name, known)
    except ValueError:
        return None
    if ion not in known:
        return None
    return {"erev": "mV", "current": "mA/cm2"}.get(kind, "mM")


def _with_unit(entry: dict[str, Any], unit: str | None) -> dict[str, Any]:
    """``entry`` with its ``unit`` after ``var`` (the order of FORMAT_V2.md section 5)."""
    if unit is None:
        return entry
    out: dict[str, Any] = {}
    for k, v in entry.items():
        out[k] = v
        if k == "var":
            out["unit"] = unit
    return out
