"""Ion species of the model: which variables exist, their fixed values and initial
concentrations per compartment, and where a reversal potential is the Nernst potential of
evolving or constant concentrations (NEURON's ``ion_style``, ``FORMAT_V2.md`` section 3)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from ...mechanisms._ions import SPECIES, ion_unit, parse_ion_variable
from ...solve._system import IonPools, MechanismGroup
from .._cell import Cell
from ._records import breakpoint_names

# NEURON's built-in mechanisms come first in its update order, then the compiled mod files
NEURON_BUILTINS = ("pas", "hh", "IClamp", "ExpSyn", "Exp2Syn", "SEClamp")


def update_order(groups: Sequence[MechanismGroup]) -> tuple[int, ...]:
    """Group indices in NEURON's mechanism order: built-ins, then sorted mod-file names."""

    def key(gi: int):
        mtype = groups[gi].mechanism_type
        name = mtype.order_name or mtype.name
        return (0 if name in NEURON_BUILTINS else 1, name, gi)

    return tuple(sorted(range(len(groups)), key=key))


def _valences(groups: Sequence[MechanismGroup]) -> dict[str, int]:
    valence = {name: s.valence for name, s in SPECIES.items()}
    for g in groups:
        for ion, z in dict(g.mechanism_type.ion_valences).items():
            if ion in valence and valence[ion] != int(z):
                raise ValueError(
                    f"{g.mechanism_type.__name__}.ion_valences gives {ion} the valence {z}, "
                    f"another mechanism or NEURON gives {valence[ion]}; one ion has one valence."
                )
            valence[ion] = int(z)
    return valence


def _number(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{where}={value!r}: give a finite number.")
    if not math.isfinite(float(value)):
        raise ValueError(f"{where}={value!r}: give a finite number.")
    return float(value)


def _users(groups, n_comp, valence):
    """Per ion: the compartments where it is read/written, by kind, and who does it."""
    use: dict[str, dict[str, np.ndarray]] = {}
    who: dict[str, list[str]] = {}

    def mark(ion, kind, comps, owner):
        per = use.setdefault(ion, {})
        mask = per.setdefault(kind, np.zeros(n_comp, bool))
        mask[comps] = True
        who.setdefault(ion, []).append(owner)

    for g in groups:
        comps = np.asarray(g.compartments)
        owner = g.mechanism_type.__name__
        for name in g.mechanism_type.ion_reads:
            ion, kind = parse_ion_variable(name, valence)
            mark(ion, {"erev": "read_e", "current": "read_i"}.get(kind, "read_c"), comps, owner)
        for name in g.mechanism_type.ion_writes:
            ion, _ = parse_ion_variable(name, valence)
            mark(ion, "write_c", comps, owner)
        for name in breakpoint_names(g.mechanism_type)[0]:  # currents written: WRITE ica
            if name != g.mechanism_type.nonspecific_current and name.startswith("i"):
                mark(name[1:], "write_i", comps, owner)
    return use, who


def build_ions(
    groups: Sequence[MechanismGroup],
    cells: Sequence[Cell],
    offsets: np.ndarray,
    given: Mapping[str, float] | None,
    n_comp: int,
    dtype,
) -> tuple[dict, IonPools]:
    """``(ion_values, pools)``: ``{name: (n_comp,)}`` fixed values and initial concentrations
    of every ion variable used, and the :class:`IonPools` (Nernst masks, written
    concentrations, ion totals read).

    Values, most specific last: NEURON's defaults, ``compile(ion_values=...)`` (one value
    for the model), ``cell.set_ion(...)`` on regions. Where a mechanism writes a
    concentration of an ion, or reads one, and its reversal potential is read, the potential
    is computed with the Nernst equation (``mode="auto"``, NEURON's rule).
    """
    valence = _valences(groups)
    use, who = _users(groups, n_comp, valence)
    given = {} if given is None else dict(given)
    settings = [
        (s, np.asarray(s.indices, np.int64) + int(offsets[c]))
        for c, cell in enumerate(cells)
        for s in cell.ion_settings
    ]
    for s, _ in settings:
        if s.ion not in use:
            raise ValueError(
                f"set_ion({s.ion!r}): no mechanism of this model uses {s.ion}; ions used are "
                f"{sorted(use) or 'none'}."
            )
    bad_current = sorted(n for n in given if n.startswith("i") and n[1:] in use)
    if bad_current:
        raise ValueError(
            f"compile(ion_values=...): {bad_current} are ion currents, computed by the "
            "mechanisms; give reversal potentials (e<ion>, mV) or concentrations (mM)."
        )
    # the variables a value can matter for: reversal potentials someone reads, and the
    # concentrations of ions whose concentrations are read, written or enter a Nernst potential
    meaningful: set[str] = set()
    for ion, u in use.items():
        if "read_e" in u:
            meaningful.add("e" + ion)
        if "read_c" in u or "write_c" in u:
            meaningful |= {ion + "i", ion + "o"}
    for ion, u in use.items():  # explicit Nernst mode: its concentrations matter too
        if "read_e" in u and any(s.ion == ion and s.mode == "nernst" for s, _ in settings):
            meaningful |= {ion + "i", ion + "o"}
    unused = sorted(set(given) - meaningful)
    if unused:
        raise ValueError(
            f"compile(ion_values=...): no mechanism of this model reads {unused} (dx.HH keeps "
            "ena and ek as its own parameters); the ion variables that matter here are "
            f"{sorted(meaningful) or 'none'}."
        )
    for s, _ in settings:
        pointless = [
            f"{field}={getattr(s, field)}"
            for field, name in (
                ("erev_mV", "e" + s.ion),
                ("ci0_mM", s.ion + "i"),
                ("co0_mM", s.ion + "o"),
            )
            if getattr(s, field) is not None and name not in meaningful
        ]
        if pointless:
            raise ValueError(
                f"set_ion({s.ion!r}, {', '.join(pointless)}): no mechanism of this model reads "
                f"that value (dx.HH keeps ena and ek as its own parameters; set them on HH); "
                f"the ion variables that matter here are {sorted(meaningful) or 'none'}."
            )

    values: dict[str, np.ndarray] = {}
    nernst: list[tuple[str, str, str, int]] = []
    masks: list[np.ndarray] = []
    written: list[str] = []
    current_reads: list[str] = []
    for ion in sorted(use):
        u = use[ion]
        species = SPECIES.get(ion)
        names = {"erev": "e" + ion, "ci": ion + "i", "co": ion + "o"}
        defaults = {
            "erev": None if species is None else species.erev_mV,
            "ci": None if species is None else species.ci0_mM,
            "co": None if species is None else species.co0_mM,
        }
        table: dict[str, np.ndarray] = {}
        for key, name in names.items():
            arr = np.full(n_comp, np.nan)
            if defaults[key] is not None:
                arr[:] = defaults[key]
            if name in given:
                arr[:] = _number(f"compile(ion_values={{{name!r}: ...}})", given[name])
            table[key] = arr
        mode = np.zeros(n_comp, np.int8)  # 0 auto, 1 fixed, 2 nernst
        explicit_e = np.zeros(n_comp, bool)
        explicit_e[:] = names["erev"] in given
        for s, idx in settings:
            if s.ion != ion:
                continue
            if s.erev_mV is not None:
                table["erev"][idx] = s.erev_mV
                explicit_e[idx] = True
            if s.ci0_mM is not None:
                table["ci"][idx] = s.ci0_mM
            if s.co0_mM is not None:
                table["co"][idx] = s.co0_mM
            if s.mode != "auto":
                mode[idx] = 1 if s.mode == "fixed" else 2
        zero = np.zeros(n_comp, bool)
        writes = u.get("write_c", zero)
        reads_c = u.get("read_c", zero)
        reads_e = u.get("read_e", zero)
        auto_nernst = (writes | reads_c) & (mode == 0)
        # where the potential is the Nernst one (also where nobody reads it: recordable)
        computed = auto_nernst | (mode == 2)
        fixed_but_written = (mode == 1) & writes
        if fixed_but_written.any():
            comp = int(np.flatnonzero(fixed_but_written)[0])
            raise ValueError(
                f"set_ion({ion!r}, mode='fixed') at compartment {comp}, where a mechanism "
                f"writes {ion}i/{ion}o ({', '.join(sorted(set(who[ion])))}): the reversal "
                "potential follows the concentration there (NEURON computes it); use "
                "mode='auto' or 'nernst'."
            )
        clash = computed & reads_e & explicit_e & (mode == 0)
        if clash.any():
            comp = int(np.flatnonzero(clash)[0])
            raise ValueError(
                f"e{ion} was given (set_ion(erev_mV=...) or ion_values) at compartment {comp}, "
                f"where it is the Nernst potential of the concentrations, because "
                f"{', '.join(sorted(set(who[ion])))} use {ion}i/{ion}o there (NEURON would "
                f"overwrite the value). Give set_ion({ion!r}, mode='fixed', erev_mV=...) to "
                "keep it fixed (NEURON's ion_style), or drop the value."
            )
        needed = {}
        if reads_e.any():
            needed["erev"] = reads_e & ~computed
        if (writes | reads_c).any() or computed.any():
            needed["ci"] = writes | reads_c | computed
            needed["co"] = writes | reads_c | computed
        for key, where in needed.items():
            missing = where & ~np.isfinite(table[key])
            if missing.any():
                name = names[key]
                raise ValueError(
                    f"{', '.join(sorted(set(who[ion])))} use(s) {name!r}, which has no default "
                    f"for the ion {ion!r}; give it with compile(..., ion_values={{{name!r}: "
                    f"value}}) or cell.set_ion({ion!r}, ...) ({ion_unit(name)})."
                )
        if computed.any() and (ion in valence or reads_e.any()):
            if ion not in valence:
                raise ValueError(
                    f"The ion {ion!r} needs a valence for its Nernst potential; declare it in "
                    f"the mechanism (ion_valences = {{{ion!r}: z}}, NMODL VALENCE)."
                )
            nernst.append((names["erev"], names["ci"], names["co"], valence[ion]))
            masks.append(computed)
        for key in needed:
            values[names[key]] = np.nan_to_num(table[key], nan=0.0)
        if computed.any() and ion in valence:  # the potential is recordable where computed
            values.setdefault(names["erev"], np.nan_to_num(table["erev"], nan=0.0))
        if writes.any():
            for key in ("ci", "co"):
                name = names[key]
                if any(name in g.mechanism_type.ion_writes for g in groups):
                    written.append(name)
        if "read_i" in u:
            current_reads.append("i" + ion)
    pools = IonPools(
        nernst=tuple(nernst),
        written=tuple(written),
        current_reads=tuple(current_reads),
        mask=tuple(jnp.asarray(m) for m in masks),
    )
    return {k: jnp.asarray(v, dtype=dtype) for k, v in sorted(values.items())}, pools
