"""Stimuli of every cell: fixed currents at the step midpoints, named inputs and event inputs."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ...solve._system import Clamps, MechanismGroup, Stimuli
from .._cell import Cell
from .._stimuli import CurrentInput, SEClamp, step_midpoints
from ._arrays import ints


def _placements(cells: Sequence[Cell], offsets: np.ndarray, extra: Sequence) -> list:
    """``[(Placement, global compartment)]`` of every cell's stimuli, then ``extra``."""
    return [(p, p.compartment + offsets[c]) for c, cell in enumerate(cells)
            for p in cell.placements] + list(extra)  # fmt: skip


def build_stimuli(
    cells: Sequence[Cell],
    offsets: np.ndarray,
    dt_ms: float,
    n_steps: int,
    groups: list[MechanismGroup],
    point_position: dict,
    dtype,
    extra: Sequence = (),
) -> Stimuli:
    """``extra``: more ``(Placement, global compartment)`` pairs (a network's stimuli)."""
    t_mid = step_midpoints(dt_ms, n_steps)
    placements = [(p, c) for p, c in _placements(cells, offsets, extra)
                  if not isinstance(p.stimulus, SEClamp)]  # fmt: skip
    sites = sorted({comp for _, comp in placements})
    column = {comp: k for k, comp in enumerate(sites)}
    current = np.zeros((n_steps, len(sites)))
    input_names: list[str] = []
    slot_column, slot_index = [], []
    for p, comp in placements:
        if isinstance(p.stimulus, CurrentInput):
            if p.stimulus.name not in input_names:
                input_names.append(p.stimulus.name)
            slot_column.append(column[comp])
            slot_index.append(input_names.index(p.stimulus.name))
        else:
            current[:, column[comp]] += p.stimulus.at(t_mid)
    event_names: list[str] = []
    per_group: dict[int, tuple[list[int], list[int]]] = {}
    for c, cell in enumerate(cells):
        for point in cell.points:
            if point.events is None:
                continue
            if point.events in input_names:
                raise ValueError(
                    f"place(events={point.events!r}): the name is already a CurrentInput; "
                    "event inputs and current inputs need different names."
                )
            if point.events not in event_names:
                event_names.append(point.events)
            gi, site = point_position[(c, point.key)]
            inst, idx = per_group.setdefault(gi, ([], []))
            inst.append(site)
            idx.append(event_names.index(point.events))
    event_group = tuple(sorted(per_group))

    return Stimuli(
        input_names=tuple(input_names),
        event_names=tuple(event_names),
        compartment=ints(sites),
        current_nA=jnp.asarray(current, dtype=dtype),
        input_column=ints(slot_column),
        input_index=ints(slot_index),
        event_group=event_group,
        event_instance=tuple(ints(per_group[g][0]) for g in event_group),
        event_index=tuple(ints(per_group[g][1]) for g in event_group),
    )


def clamp_placements(cells: Sequence[Cell], offsets: np.ndarray, extra: Sequence = ()) -> list:
    """``[(Placement, global compartment)]`` of every voltage clamp, in order."""
    return [
        (p, int(comp))
        for p, comp in _placements(cells, offsets, extra)
        if isinstance(p.stimulus, SEClamp)
    ]


def build_clamps(
    cells: Sequence[Cell],
    offsets: np.ndarray,
    dt_ms: float,
    n_steps: int,
    dtype,
    extra: Sequence = (),
) -> Clamps | None:
    """The voltage clamps (``SEClamp``) of every cell: node, rs and the command per step."""
    placed = clamp_placements(cells, offsets, extra)
    if not placed:
        return None
    t_mid = step_midpoints(dt_ms, n_steps)
    vc = np.zeros((n_steps, len(placed)))
    on = np.zeros((n_steps, len(placed)))
    for k, (p, _) in enumerate(placed):
        vc[:, k], on[:, k] = p.stimulus.command(t_mid)
    return Clamps(
        node=ints([comp for _, comp in placed]),
        rs_MOhm=jnp.asarray([p.stimulus.rs_MOhm for p, _ in placed], dtype=dtype),
        vc_mV=jnp.asarray(vc, dtype=dtype),
        on=jnp.asarray(on, dtype=dtype),
    )
