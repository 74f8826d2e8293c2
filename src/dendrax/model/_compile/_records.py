"""What to record, vectorised: voltages in one gather, states per (group, state) pair."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ...mechanisms._base import Mechanism
from ...mechanisms._ions import SPECIES, parse_ion_variable
from ...solve._system import IonPools, MechanismGroup, RecordSpec
from .._cell import Cell, Recording
from ._arrays import ints


@functools.cache
def breakpoint_names(mtype: type[Mechanism]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(currents, assigned)``: NEURON's names of a mechanism's currents (``i<ion>`` per
    species it writes, ``nonspecific_current`` for the rest) and its ``assigned`` values."""
    one = jax.ShapeDtypeStruct((1,), jnp.float64)
    params = {k: one for k in (*mtype.parameters, *mtype.ion_reads)}
    if getattr(mtype, "presynaptic", False):
        params["v_pre"] = one
    states = {k: one for k in mtype.states}
    mech = mtype()
    shapes = jax.eval_shape(
        lambda v, st, p: mech.species_currents(v, st, p, jnp.float64(6.3)), one, states, params
    )
    currents = tuple(mtype.current_name(species) for species in shapes)
    return currents, tuple(mtype.assigned)


# the total ionic current (every mechanism, synapses included; no electrode current) and
# with the capacitive current, NEURON's i_membrane (mA/cm², outward positive)
MEMBRANE_CURRENTS = ("i_ion", "i_membrane")


def is_recordable_name(var: str, mechanisms) -> bool:
    """Whether ``var`` can name a recording (checked fully at compile): a membrane current, an
    ion variable, ``SUFFIX.name`` or NEURON's ``name_SUFFIX`` of one of ``mechanisms``
    (classes), or a state, current or assigned value of one."""
    mechanisms = list(mechanisms)
    names = {m.name for m in mechanisms}
    if var in ("v", "i_seclamp", *MEMBRANE_CURRENTS):
        return True
    if "." in var:
        return var.split(".", 1)[0] in names
    if any(var.endswith("_" + name) for name in names):
        return True
    try:
        parse_ion_variable(var)
        return True
    except ValueError:
        pass
    for mtype in mechanisms:
        currents, assigned = breakpoint_names(mtype)
        if var in (*mtype.states, *mtype.derived, *currents, *assigned):
            return True
    return False


def _names_at(groups, density_position, point_position, c: int, comp: int) -> list[str]:
    """What can be recorded at a compartment, for error messages."""
    out = ["v"]
    for name, (gi, pos) in density_position.items():
        if pos[comp] >= 0:
            mtype = groups[gi].mechanism_type
            currents, assigned = breakpoint_names(mtype)
            out += [f"{name}.{x}" for x in (*mtype.states, *mtype.derived, *currents, *assigned)]
    for (cc, key), (gi, site) in point_position.items():
        if cc == c and int(groups[gi].compartments[site]) == comp:
            mtype = groups[gi].mechanism_type
            currents, assigned = breakpoint_names(mtype)
            out += [f"{key}.{x}" for x in (*mtype.states, *mtype.derived, *currents, *assigned)]
    return out


def _currents_at(ctx, c: int, comp: int, only: str | None) -> list:
    """``[(group, name, to_density, site)]`` of every current of every mechanism at
    compartment ``comp`` of cell ``c`` (or only those called ``only``): density groups first,
    then point mechanisms (their nA converted to mA/cm²)."""
    groups, density_position, point_position, _, _ = ctx
    parts = []
    for gi, pos in density_position.values():
        if pos[comp] >= 0:
            for name in breakpoint_names(groups[gi].mechanism_type)[0]:
                if only is None or name == only:
                    parts.append((gi, name, False, int(pos[comp])))
    for (cc, _), (gi, site) in sorted(point_position.items(), key=lambda kv: kv[1]):
        if cc == c and int(groups[gi].compartments[site]) == comp:
            for name in breakpoint_names(groups[gi].mechanism_type)[0]:
                if only is None or name == only:
                    parts.append((gi, name, True, site))
    return parts


def _resolve(rec: Recording, c: int, comp: int, ctx) -> tuple:
    """``(kind, source, position)`` of one recording; kind is "v", "state", "conc", "erev",
    "current" (source: a list of (group, name, to_density, position)) or "clamp"."""
    groups, density_position, point_position, ion_names, clamp_keys = ctx
    variable, mechanism = rec.variable, rec.mechanism
    if mechanism is None and "." in variable:
        mechanism, variable = variable.split(".", 1)
    if mechanism is None and "_" in variable:  # NEURON's range-variable names: ina_NaTa_t
        for name in sorted(density_position, key=len, reverse=True):
            if variable.endswith("_" + name) and len(variable) > len(name) + 1:
                if density_position[name][1][comp] >= 0:
                    mechanism, variable = name, variable[: -len(name) - 1]
                    break
    if variable == "v" and mechanism is None:
        return "v", None, comp
    if mechanism is not None and (comp, mechanism) in clamp_keys:
        if variable not in ("i", "i_seclamp"):
            raise ValueError(
                f"record {rec.key!r}: a voltage clamp ({mechanism!r}) records its current "
                "'i' (nA, into the cell)."
            )
        return "clamp", None, clamp_keys[(comp, mechanism)]

    def own(gi: int, site: int, name: str):
        mtype = groups[gi].mechanism_type
        currents, assigned = breakpoint_names(mtype)
        if variable in mtype.states + mtype.derived:
            return "state", (gi, variable), site
        if variable in currents + assigned:
            return "current", [(gi, variable, False, site)], None
        raise ValueError(
            f"record {rec.key!r}: {name!r} ({mtype.__name__}) has no state {variable!r}; it "
            f"records {list(mtype.states + mtype.derived + currents + assigned)}."
        )

    if mechanism is not None:
        if (c, mechanism) in point_position:
            gi, site = point_position[(c, mechanism)]
            return own(gi, site, mechanism)
        if mechanism not in density_position:
            raise ValueError(
                f"record {rec.key!r}: mechanism {mechanism!r} is not inserted anywhere; "
                f"inserted mechanisms are {sorted(density_position)} (point mechanisms and "
                "voltage clamps are named by their key)."
            )
        gi, pos = density_position[mechanism]
        if pos[comp] < 0:
            raise ValueError(
                f"record {rec.key!r}: variable {variable!r} at compartment {comp} matches none "
                f"of the mechanisms there ({mechanism!r} is not inserted there); there you can "
                "record "
                f" {_names_at(groups, density_position, point_position, c, comp)}."
            )
        return own(gi, int(pos[comp]), mechanism)
    try:
        ion, kind = parse_ion_variable(variable, {**SPECIES, **dict.fromkeys(ion_names)})
    except ValueError:
        kind = None
    if kind in ("conc_in", "conc_out", "erev") and variable in ion_names:
        return ("erev" if kind == "erev" else "conc"), variable, comp
    if variable in MEMBRANE_CURRENTS:
        parts = _currents_at(ctx, c, comp, None)
        if variable == "i_membrane":
            parts.append((-1, "i_cap", False, comp))
        return "current", parts, None
    if kind == "current":
        parts = _currents_at(ctx, c, comp, variable)
        if parts:
            return "current", parts, None
    candidates = [
        (gi, int(pos[comp]), name)
        for name, (gi, pos) in density_position.items()
        if pos[comp] >= 0
        and variable
        in (
            groups[gi].mechanism_type.states
            + groups[gi].mechanism_type.derived
            + sum(breakpoint_names(groups[gi].mechanism_type), ())
        )
    ]
    if len(candidates) != 1:
        where = "none" if not candidates else f"several ({[n for *_, n in candidates]})"
        raise ValueError(
            f"record {rec.key!r}: variable {variable!r} at compartment {comp} matches {where} "
            "of the mechanisms there; pass mechanism=... (or 'SUFFIX.name') if it is "
            f"ambiguous. There you can record "
            f"{_names_at(groups, density_position, point_position, c, comp)}"
            + (f" and the ion variables {sorted(ion_names)}" if ion_names else "")
            + "."
        )
    gi, site, name = candidates[0]
    return own(gi, site, name)


def cell_recordings(cells: Sequence[Cell]) -> list[tuple[int, Recording]]:
    """``(cell index, recording)`` of every cell's own recordings."""
    return [(c, rec) for c, cell in enumerate(cells) for rec in cell.recordings]


def build_records(
    recordings: Sequence[tuple[int, Recording]],
    offsets: np.ndarray,
    groups: list[MechanismGroup],
    density_position: dict,
    point_position: dict,
    ion_values: dict | None = None,
    pools: IonPools | None = None,
    clamp_keys: dict | None = None,
) -> RecordSpec:
    """``clamp_keys``: ``{(global compartment, key): clamp index}`` of the voltage clamps."""
    ion_names = set(ion_values or {}) | set(pools.written if pools is not None else ())
    ctx = (groups, density_position, point_position, ion_names, clamp_keys or {})
    keys: list[str] = []
    seen: set[str] = set()
    v_nodes: list[int] = []
    v_keys: list[int] = []
    by_source: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    by_conc: dict[str, tuple[list[int], list[int]]] = {}
    by_erev: dict[str, tuple[list[int], list[int]]] = {}
    current_keys: list[int] = []
    contributions: dict[tuple[int, str, bool], tuple[list[int], list[int]]] = {}
    clamp_index: list[int] = []
    clamp_keys_: list[int] = []
    for c, rec in recordings:
        if rec.key in seen:
            raise ValueError(
                f"record key {rec.key!r} is used twice; keys must be unique across the cells "
                "compiled together (e.g. prefix them with the cell's name)."
            )
        seen.add(rec.key)
        k = len(keys)
        keys.append(rec.key)
        comp = rec.compartment + int(offsets[c])
        kind, source, position = _resolve(rec, c, comp, ctx)
        if kind == "v":
            v_nodes.append(comp)
            v_keys.append(k)
        elif kind == "state":
            sites, ks = by_source.setdefault(source, ([], []))
            sites.append(position)
            ks.append(k)
        elif kind in ("conc", "erev"):
            table = by_conc if kind == "conc" else by_erev
            nodes, ks = table.setdefault(source, ([], []))
            nodes.append(position)
            ks.append(k)
        elif kind == "current":
            column = len(current_keys)
            current_keys.append(k)
            for gi, name, to_density, site in source:
                sites, cols = contributions.setdefault((gi, name, to_density), ([], []))
                sites.append(site)
                cols.append(column)
        else:
            clamp_index.append(position)
            clamp_keys_.append(k)
    sources = sorted(by_source)
    concs, erevs, currents = sorted(by_conc), sorted(by_erev), sorted(contributions)
    grouped_keys = (
        v_keys
        + [k for s in sources for k in by_source[s][1]]
        + [k for s in concs for k in by_conc[s][1]]
        + [k for s in erevs for k in by_erev[s][1]]
        + current_keys
        + clamp_keys_
    )
    order = np.empty(len(keys), dtype=np.int64)
    order[np.asarray(grouped_keys, dtype=np.int64)] = np.arange(len(keys))
    is_voltage = np.zeros(len(keys), dtype=bool)
    is_voltage[v_keys] = True

    return RecordSpec(
        keys=tuple(keys),
        state_sources=tuple(sources),
        v_nodes=ints(v_nodes),
        state_positions=tuple(ints(by_source[s][0]) for s in sources),
        order=ints(order),
        is_voltage=jnp.asarray(is_voltage),
        conc_names=tuple(concs),
        conc_nodes=tuple(ints(by_conc[s][0]) for s in concs),
        erev_names=tuple(erevs),
        erev_nodes=tuple(ints(by_erev[s][0]) for s in erevs),
        current_sources=tuple(currents),
        current_positions=tuple(ints(contributions[s][0]) for s in currents),
        current_target=ints([col for s in currents for col in contributions[s][1]]),
        n_current=len(current_keys),
        clamp_index=ints(clamp_index),
    )
