"""What version 2 of dendrax's model format (``"format": "neuroref-case/2"``) adds to
version 1: mechanisms by NEURON SUFFIX with per-compartment values, mechanism GLOBALs, ions
per branch (fixed or Nernst), the voltage clamp ``seclamp``, and recordings of currents,
concentrations, reversal potentials, any mechanism quantity (``"SUFFIX.name"``) and the clamp
current (``"i_seclamp"``). Documented in docs/model_format.md; the reference is
``FORMAT_V2.md`` of the NEURON ground-truth cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..mechanisms import MechanismRegistry
from ..mechanisms._ions import SPECIES
from ..model._cell import Cell
from ..model._distributions import distribution_values
from ..model._stimuli import SEClamp
from ..model._units import unit_context
from ._checks import check_number, check_unknown

ION_MODES = ("fixed", "nernst")


def globals_from_dict(data: Any, registry: MechanismRegistry, error) -> dict[str, dict]:
    """``{SUFFIX: {name: value}}`` of the file's ``globals``, checked against the mechanisms."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise error("globals must be an object {SUFFIX: {name: value}}.")
    out: dict[str, dict] = {}
    for mech, values in data.items():
        if mech not in registry:
            raise error(
                f"globals.{mech}: unknown mechanism; known mechanisms are {sorted(registry)}."
            )
        if not isinstance(values, Mapping):
            raise error(f"globals.{mech} must be an object of parameter values.")
        mtype = registry[mech]
        if not mtype.global_parameters:
            raise error(
                f"globals.{mech}: {mech} has no GLOBAL parameters; give its parameters per "
                "branch under mechanisms."
            )
        check_unknown(f"globals.{mech}", values, mtype.global_parameters, error=error)
        out[mech] = {
            k: check_number(f"globals.{mech}.{k}", v, error=error) for k, v in values.items()
        }
    return out


def insert_mechanism(
    cell: Cell,
    where: str,
    branch: int,
    name: str,
    values: Any,
    registry: MechanismRegistry,
    global_values: Mapping[str, float],
    error,
) -> None:
    """Insert ``name`` on ``branch`` with its values: numbers, lists of one value per
    compartment (compartment 0 first) or distributions of path distance (objects with an
    ``expression``), plus the mechanism's GLOBALs."""
    if name not in registry:
        raise error(
            f"{where}: unknown mechanism {name!r}; known mechanisms are {sorted(registry)}. "
            "Pass registry=dendrax.mechanisms.DEFAULT_REGISTRY.with_mechanisms(MyChannel) for "
            "your own."
        )
    mtype = registry[name]
    if not isinstance(values, Mapping):
        raise error(f"{where}.{name} must be an object of parameter values.")
    check_unknown(f"{where}.{name}", values, mtype.parameters, error=error)
    local_globals = sorted(set(values) & set(mtype.global_parameters))
    if local_globals:
        raise error(
            f"{where}.{name}: {local_globals} are NEURON GLOBALs of {name}, one value per "
            f'model; give them under the top-level "globals": {{"{name}": {{...}}}}.'
        )
    ncomp = cell.geometry.branches[branch].ncomp
    scalars: dict[str, float] = dict(global_values)
    lists: dict[str, np.ndarray] = {}
    indices = cell.select(branches=[branch]).indices
    for p, v in values.items():
        if isinstance(v, Mapping):  # a distribution: {"expression": ..., "origin": ...}
            lists[p] = _distribution(cell, f"{where}.{name}.{p}", v, indices, error)
        elif isinstance(v, list):
            if len(v) != ncomp:
                raise error(
                    f"{where}.{name}.{p} has {len(v)} values; give one per compartment "
                    f"(ncomp={ncomp}) or a single number."
                )
            lists[p] = np.asarray(
                [check_number(f"{where}.{name}.{p}[{i}]", x, error=error) for i, x in enumerate(v)]
            )
        else:
            scalars[p] = check_number(f"{where}.{name}.{p}", v, error=error)
    try:
        with unit_context(f"{where}.{name}"):
            cell.insert(
                mtype(**scalars),  # type: ignore[arg-type]
                where=cell.select(branches=[branch]),
                per_compartment=lists or None,
            )
    except (TypeError, ValueError) as e:
        raise error(f"{where}.{name}: {e}") from None


def _distribution(cell: Cell, where: str, spec: Mapping, indices, error) -> np.ndarray:
    """A parameter given as a function of path distance (docs/distributions.md), one value
    per compartment of the branch; ``"dmax_over"`` names the region (e.g. "apical") or the
    branches over which ``dmax`` is the largest distance (default: this branch)."""
    spec = dict(spec)
    over = spec.pop("dmax_over", None)
    dmax_over = None
    if over is not None:
        if isinstance(over, str):
            dmax_over = cell.select(kind=over).indices
        elif isinstance(over, list) and all(isinstance(b, int) for b in over):
            dmax_over = cell.select(branches=over).indices
        else:
            raise error(
                f"{where}.dmax_over={over!r}: give a region name (e.g. 'apical') or a list of "
                "branch indices."
            )
        if dmax_over.size == 0:
            raise error(f"{where}.dmax_over={over!r} selects no compartment.")
    try:
        return distribution_values(spec, cell, indices, dmax_over=dmax_over, where=where)
    except ValueError as e:
        raise error(str(e)) from None


def _reads(mechanisms, ion: str) -> tuple[bool, bool]:
    """Whether any of ``mechanisms`` reads the ion's reversal potential, and whether any
    reads or writes one of its concentrations."""
    reads_e = any("e" + ion in m.ion_reads for m in mechanisms)
    conc = {ion + "i", ion + "o"}
    uses_c = any(conc & set(m.ion_reads + m.ion_writes) for m in mechanisms)
    return reads_e, uses_c


def set_ions(cell: Cell, where: str, branch: int, ions: Any, error, mechanisms: tuple = ()) -> None:
    """Apply a branch's ``ions``: ``{ion: {"mode": "fixed", "erev_mV"}}`` or
    ``{ion: {"mode": "nernst", "ci0_mM", "co0_mM", "valence"}}``. As in NEURON, a value no
    mechanism of the branch (``mechanisms``, classes) reads has no effect and is skipped
    (e.g. ``eca`` of a channel that writes ``ica`` from its own reversal potential)."""
    if not isinstance(ions, Mapping):
        raise error(f"{where} must be an object {{ion: spec}}.")
    sel = cell.select(branches=[branch])
    for ion, spec in ions.items():
        at = f"{where}.{ion}"
        if not isinstance(spec, Mapping):
            raise error(f"{at} must be an object with a 'mode'.")
        mode = spec.get("mode")
        if mode not in ION_MODES:
            raise error(f"{at}.mode={mode!r}: use 'fixed' (with erev_mV) or 'nernst'.")
        valence = spec.get("valence")
        known = SPECIES.get(ion)
        if valence is not None:
            declared = {dict(m.ion_valences).get(ion) for m in mechanisms} - {None}
            expected = known.valence if known is not None else next(iter(declared), None)
            if isinstance(valence, bool) or valence != expected:
                raise error(
                    f"{at}.valence={valence!r}: "
                    + (
                        f"{ion} has valence {expected}."
                        if expected is not None
                        else f"no mechanism of the branch declares the valence of {ion} "
                        "(ion_valences, NMODL VALENCE)."
                    )
                )
        conc = {
            k: check_number(f"{at}.{k}", spec[k], error=error, positive=True)
            for k in ("ci0_mM", "co0_mM")
            if k in spec
        }
        reads_e, uses_c = _reads(mechanisms, ion)
        if mode == "fixed":
            check_unknown(at, spec, ("mode", "erev_mV", "ci0_mM", "co0_mM", "valence"), error=error)
            if "erev_mV" not in spec:
                raise error(f"{at}: mode 'fixed' needs erev_mV (mV).")
            erev = check_number(f"{at}.erev_mV", spec["erev_mV"], error=error)
            if reads_e or (uses_c and conc):
                cell.set_ion(
                    ion,
                    sel,
                    mode="fixed",
                    erev_mV=erev if reads_e else None,
                    **(conc if uses_c else {}),
                )
            continue
        check_unknown(at, spec, ("mode", "ci0_mM", "co0_mM", "valence"), error=error)
        if reads_e or uses_c:
            cell.set_ion(ion, sel, mode="nernst" if reads_e else "auto", **conc)


def seclamp_from_dict(where: str, s: Mapping, error, extra: tuple[str, ...] = ()) -> SEClamp:
    """A ``seclamp`` stimulus entry (rs in MΩ, three levels in mV for durations in ms);
    ``extra``: further allowed fields (a network's ``cell``)."""
    fields = ("rs_MOhm", "dur1_ms", "amp1_mV", "dur2_ms", "amp2_mV", "dur3_ms", "amp3_mV")
    check_unknown(where, s, ("type", "branch", "x", "comp", *fields, *extra), error=error)
    missing = [f for f in fields if f not in s]
    if missing:
        raise error(f"{where}: a seclamp needs {missing}.")
    values = {f: check_number(f"{where}.{f}", s[f], error=error) for f in fields}
    try:
        return SEClamp(**values)
    except ValueError as e:
        raise error(f"{where}: {e}") from None
