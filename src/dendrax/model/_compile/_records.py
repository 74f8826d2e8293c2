"""What to record, vectorised: voltages in one gather, states per (group, state) pair."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ...solve._system import MechanismGroup, RecordSpec
from .._cell import Cell, Recording
from ._arrays import ints


def _state_source(
    rec: Recording, c: int, comp: int, groups, density_position, point_position
) -> tuple[int, int]:
    """(group, site) of a recorded mechanism state."""
    if rec.mechanism is not None and (c, rec.mechanism) in point_position:
        gi, site = point_position[(c, rec.mechanism)]
        mtype = groups[gi].mechanism_type
        if rec.variable not in mtype.states + mtype.derived:
            raise ValueError(
                f"record {rec.key!r}: point mechanism {rec.mechanism!r} "
                f"({mtype.__name__}) has no state {rec.variable!r}; it records "
                f"{list(mtype.states + mtype.derived)}."
            )
        return gi, site
    candidates = [
        name
        for name, (gi, pos) in density_position.items()
        if pos[comp] >= 0
        and rec.variable in groups[gi].mechanism_type.states + groups[gi].mechanism_type.derived
    ]
    if rec.mechanism is not None:
        if rec.mechanism not in density_position:
            raise ValueError(
                f"record {rec.key!r}: mechanism {rec.mechanism!r} is not inserted anywhere; "
                f"inserted mechanisms are {sorted(density_position)} (point mechanisms are "
                "named by their key from cell.place)."
            )
        candidates = [m for m in candidates if m == rec.mechanism]
    if len(candidates) != 1:
        where = "none" if not candidates else f"several ({candidates})"
        raise ValueError(
            f"record {rec.key!r}: variable {rec.variable!r} at compartment {rec.compartment} "
            f"matches {where} of the mechanisms there. Record 'v' or a state of a mechanism "
            "inserted at that location, and pass mechanism=... if the name is ambiguous."
        )
    gi, pos = density_position[candidates[0]]
    return gi, int(pos[comp])


def cell_recordings(cells: Sequence[Cell]) -> list[tuple[int, Recording]]:
    """``(cell index, recording)`` of every cell's own recordings."""
    return [(c, rec) for c, cell in enumerate(cells) for rec in cell.recordings]


def build_records(
    recordings: Sequence[tuple[int, Recording]],
    offsets: np.ndarray,
    groups: list[MechanismGroup],
    density_position: dict,
    point_position: dict,
) -> RecordSpec:
    keys: list[str] = []
    seen: set[str] = set()
    v_nodes: list[int] = []
    v_keys: list[int] = []
    by_source: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
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
        if rec.variable == "v":
            v_nodes.append(comp)
            v_keys.append(k)
            continue
        gi, site = _state_source(rec, c, comp, groups, density_position, point_position)
        sites, ks = by_source.setdefault((gi, rec.variable), ([], []))
        sites.append(site)
        ks.append(k)
    sources = sorted(by_source)
    grouped_keys = v_keys + [k for s in sources for k in by_source[s][1]]
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
    )
