"""Trainable parameters: which quantity, where, how shared, bounded how.

A :class:`Trainable` describes one trainable quantity; a :class:`ParameterMap` resolves a list of
them against a compiled :class:`System` once, and then maps a params pytree (a dict of arrays,
usable by plain JAX code and optax) onto the System inside ``jit``/``grad``/``vmap``:

    pm = dendrax.ParameterMap(cell, system, [
        Trainable("gna_soma", (dendrax.HH, "gnabar"), where="soma", transform=Sigmoid(0.01, 1)),
        Trainable("gl", (dendrax.HH, "gl"), sharing=PerRegion(), transform=Softplus()),
        Trainable("Ra", "Ra", transform=Softplus()),
    ])
    params = pm.init()                          # physical values, from the model
    sim = jax.jit(lambda p: simulate(pm.apply(system, p)))

Quantities: ``(ChannelClass, "param")`` for any channel parameter (units of that parameter), or
``"cm"`` (µF/cm²), ``"Ra"`` (Ω·cm), ``"radius"`` (µm) and ``"length"`` (µm, per compartment).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..mechanisms._channel import Channel
from ..train._transforms import Identity, Transform
from ._cell import Cell
from ._selection import Selection
from ._system import System

CABLE_QUANTITIES = {
    # name: (System field, factor: stored value = factor * parameter value)
    "cm": ("cm_uF_cm2", 1.0),
    "Ra": ("Ra_ohm_cm", 1.0),
    "radius": ("diam_um", 2.0),
    "length": ("length_um", 1.0),
}


@dataclasses.dataclass(frozen=True)
class Shared:
    """One value for every selected compartment."""


@dataclasses.dataclass(frozen=True)
class PerRegion:
    """One value per region label (soma, axon, basal, apical, ...) among the selection."""


@dataclasses.dataclass(frozen=True)
class PerBranch:
    """One value per branch touched by the selection."""


@dataclasses.dataclass(frozen=True)
class PerCompartment:
    """One value per selected compartment."""


@dataclasses.dataclass(frozen=True)
class Grouping:
    """One value per given selection (they must not overlap; their union is the selection)."""

    groups: tuple[Selection, ...]


Sharing = Shared | PerRegion | PerBranch | PerCompartment | Grouping


@dataclasses.dataclass(frozen=True)
class Trainable:
    """One trainable quantity.

    Args:
        name: key of this parameter in the params dict.
        quantity: ``(ChannelClass, "param")``, or "cm", "Ra", "radius", "length".
        where: a Selection, a region name, or None (everywhere the quantity exists).
        sharing: Shared() (default), PerRegion(), PerBranch(), PerCompartment(), Grouping(...).
        init: initial physical value(s): a number, one value per group, or None (the model's
            current values, averaged within each group).
        transform: maps unconstrained to physical values (default Identity()).
    """

    name: str
    quantity: str | tuple[type[Channel], str]
    where: Selection | str | None = None
    sharing: Sharing = dataclasses.field(default_factory=Shared)
    init: Any = None
    transform: Transform = dataclasses.field(default_factory=Identity)


class _Resolved(eqx.Module):
    name: str = eqx.field(static=True)
    leaf: tuple = eqx.field(static=True)  # which System leaf: ("cable", field) or (group, param)
    group_names: tuple[str, ...] = eqx.field(static=True)
    getter: Callable = eqx.field(static=True)
    factor: float = eqx.field(static=True)
    transform: Transform = eqx.field(static=True)
    n_values: int = eqx.field(static=True)
    positions: jnp.ndarray  # positions inside the System leaf
    labels: jnp.ndarray  # group of every position
    init_values: jnp.ndarray  # physical values, (n_values,)


def _labels(spec: Trainable, cell: Cell, comps: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Group index of every selected compartment, and a name for every group (in order)."""
    sharing = spec.sharing
    if isinstance(sharing, Shared):
        return np.zeros(comps.size, dtype=np.int64), ("shared",)
    if isinstance(sharing, PerCompartment):
        return np.arange(comps.size), tuple(f"compartment {int(c)}" for c in comps)
    if isinstance(sharing, PerRegion):
        keys = cell.geometry.kinds()[comps]
        prefix = ""
    elif isinstance(sharing, PerBranch):
        keys = cell.geometry.branch_of_compartment()[comps]
        prefix = "branch "
    elif isinstance(sharing, Grouping):
        keys = np.full(comps.size, -1)
        for g, sel in enumerate(sharing.groups):
            if not isinstance(sel, Selection):
                raise TypeError(
                    f"Trainable {spec.name!r}: Grouping.groups[{g}] is {sel!r}; give "
                    "selections made with cell.select(...)."
                )
            hit = np.isin(comps, sel.indices)
            if not np.any(hit):
                raise ValueError(
                    f"Trainable {spec.name!r}: Grouping.groups[{g}] contains none of the "
                    "compartments where this quantity is trained (`where`, or where the channel "
                    "is inserted); drop that group or widen it."
                )
            if np.any(keys[hit] >= 0):
                raise ValueError(f"Trainable {spec.name!r}: the Grouping's selections overlap.")
            keys[hit] = g
        if np.any(keys < 0):
            raise ValueError(
                f"Trainable {spec.name!r}: {int(np.sum(keys < 0))} selected compartments are in "
                "no group of the Grouping; add a group for them or narrow `where`."
            )
        prefix = "group "
    else:
        raise TypeError(
            f"Trainable {spec.name!r}: sharing={sharing!r}; use Shared(), PerRegion(), "
            "PerBranch(), PerCompartment() or Grouping(...)."
        )
    unique, labels = np.unique(keys, return_inverse=True)
    return labels.astype(np.int64), tuple(f"{prefix}{k}" for k in unique)


def _cable_leaf(system: System, field: str):
    return getattr(system, field)


def _channel_leaf(system: System, group: int, param: str):
    return system.mechanisms[group].params[param]


def _resolve(spec: Trainable, cell: Cell, system: System) -> _Resolved:
    if not isinstance(spec, Trainable):
        raise TypeError(f"ParameterMap takes Trainable(...) entries, got {spec!r}.")
    if not isinstance(spec.transform, Transform):
        raise TypeError(f"Trainable {spec.name!r}: transform must be a dendrax Transform.")
    comps = cell._indices(spec.where)
    if comps.size == 0:
        raise ValueError(f"Trainable {spec.name!r}: the selection `where` is empty.")
    q = spec.quantity
    if isinstance(q, str):
        if q not in CABLE_QUANTITIES:
            raise ValueError(
                f"Trainable {spec.name!r}: unknown quantity {q!r}; use one of "
                f"{sorted(CABLE_QUANTITIES)} or (ChannelClass, 'parameter')."
            )
        field, factor = CABLE_QUANTITIES[q]
        getter: Callable[[System], Any] = functools.partial(_cable_leaf, field=field)

        positions = comps
        leaf: tuple = ("cable", field)
    else:
        if not (isinstance(q, tuple) and len(q) == 2 and isinstance(q[1], str)):
            raise TypeError(
                f"Trainable {spec.name!r}: quantity={q!r}; use (ChannelClass, 'parameter'), e.g. "
                "(dendrax.HH, 'gnabar'), or one of " + f"{sorted(CABLE_QUANTITIES)}."
            )
        ctype, pname = q
        if isinstance(ctype, Channel):
            ctype = type(ctype)
        if not (isinstance(ctype, type) and issubclass(ctype, Channel)):
            raise TypeError(
                f"Trainable {spec.name!r}: quantity={q!r} must name a Channel class such as "
                "dendrax.HH."
            )
        groups = [i for i, g in enumerate(system.mechanisms) if g.channel_type is ctype]
        if not groups:
            raise ValueError(f"Trainable {spec.name!r}: {ctype.__name__} is not inserted.")
        gi = groups[0]
        if pname not in ctype.parameters:
            raise ValueError(
                f"Trainable {spec.name!r}: {ctype.__name__} has no parameter {pname!r}; "
                f"its parameters are {sorted(ctype.parameters)}."
            )
        group_comps = np.asarray(system.mechanisms[gi].compartments)
        pos = np.full(cell.n_compartments, -1)
        pos[group_comps] = np.arange(group_comps.size)
        if spec.where is None:
            comps = group_comps
        positions = pos[comps]
        if np.any(positions < 0):
            raise ValueError(
                f"Trainable {spec.name!r}: {ctype.__name__} is not inserted in "
                f"{int(np.sum(positions < 0))} of the selected compartments; narrow `where`."
            )
        factor = 1.0
        getter = functools.partial(_channel_leaf, group=gi, param=pname)
        leaf = (gi, pname)

    labels, group_names = _labels(spec, cell, comps)
    n_values = len(group_names)
    current = np.asarray(getter(system))[positions] / factor
    if spec.init is None:  # the mean of each group; exactly its value where it is uniform
        lo, hi = np.full(n_values, np.inf), np.full(n_values, -np.inf)
        np.minimum.at(lo, labels, current)
        np.maximum.at(hi, labels, current)
        mean = np.bincount(labels, weights=current) / np.bincount(labels)
        init = np.where(lo == hi, lo, mean)
    else:
        try:
            given = np.asarray(spec.init, dtype=np.float64)
            init = np.broadcast_to(given, (n_values,)).copy()
        except (TypeError, ValueError):
            raise ValueError(
                f"Trainable {spec.name!r}: init={spec.init!r} must be one number or "
                f"{n_values} numbers, one per group {list(group_names)}."
            ) from None
        if not np.all(np.isfinite(init)):
            raise ValueError(f"Trainable {spec.name!r}: init values must be finite.")
    spec.transform.check(f"Trainable {spec.name!r}", init)
    dtype = getter(system).dtype
    return _Resolved(
        name=spec.name,
        leaf=leaf,
        group_names=group_names,
        getter=getter,
        factor=factor,
        transform=spec.transform,
        n_values=n_values,
        positions=jnp.asarray(positions, dtype=jnp.int32),
        labels=jnp.asarray(labels, dtype=jnp.int32),
        init_values=jnp.asarray(init, dtype=dtype),
    )


class ParameterMap(eqx.Module):
    """Resolved trainables: maps a params dict ``{name: array(n_values)}`` onto a System.

    Args:
        cell: the description the System was compiled from (for selections and regions).
        system: the compiled System; initial values not given are read from it.
        trainables: the :class:`Trainable` entries; names must be unique, and two entries must
            not set the same quantity in the same compartment.

    The values of a trainable follow the order of :meth:`group_names` (regions and branches
    sorted, Grouping in the given order, compartments ascending).
    """

    entries: tuple[_Resolved, ...]

    def __init__(self, cell: Cell, system: System, trainables: Sequence[Trainable]) -> None:
        names = [t.name for t in trainables if isinstance(t, Trainable)]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"Trainable names must be unique; repeated: {dup}.")
        entries = tuple(_resolve(t, cell, system) for t in trainables)
        for i, a in enumerate(entries):
            for b in entries[:i]:
                if a.leaf == b.leaf:
                    both = np.intersect1d(np.asarray(a.positions), np.asarray(b.positions))
                    if both.size:
                        raise ValueError(
                            f"Trainables {b.name!r} and {a.name!r} set the same quantity in "
                            f"{both.size} common compartment(s); make their `where` disjoint."
                        )
        self.entries = entries

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    def group_names(self, name: str) -> tuple[str, ...]:
        """What each value of trainable ``name`` applies to, e.g. ``("apical", "soma")``,
        ``("branch 0", "branch 3")``, ``("group 0", "group 1")`` or ``("shared",)``."""
        for e in self.entries:
            if e.name == name:
                return e.group_names
        raise KeyError(f"No trainable {name!r}; trainables are {list(self.names)}.")

    def init(self) -> dict[str, jnp.ndarray]:
        """Initial physical values of every trainable."""
        return {e.name: e.init_values for e in self.entries}

    def apply(self, system: System, params: dict) -> System:
        """The System with the trainables set to ``params`` (physical values). Pure.

        Every value is a scalar (used for all groups) or has shape ``(n_values,)``; use
        ``jax.vmap`` for batches. Keys that name no trainable are ignored.
        """
        missing = [e.name for e in self.entries if e.name not in params]
        if missing:
            raise KeyError(f"params lacks {missing}; it needs every trainable's name.")
        for e in self.entries:
            value = jnp.asarray(params[e.name])
            if value.shape not in ((), (e.n_values,)):
                raise ValueError(
                    f"params[{e.name!r}] has shape {value.shape}; expected ({e.n_values},) or a "
                    "scalar. For a batch of parameter sets, jax.vmap the function that calls "
                    "apply()."
                )
            leaf = e.getter(system)
            new = leaf.at[e.positions].set(
                (e.factor * jnp.broadcast_to(value, (e.n_values,))[e.labels]).astype(leaf.dtype)
            )
            system = eqx.tree_at(e.getter, system, new)
        return system

    def to_unconstrained(self, params: dict) -> dict:
        """Physical values -> the optimiser's unconstrained space (other keys pass through)."""
        out = dict(params)
        for e in self.entries:
            if e.name in out:
                out[e.name] = e.transform.inverse(out[e.name])
        return out

    def from_unconstrained(self, u: dict) -> dict:
        """The optimiser's unconstrained space -> physical values (other keys pass through)."""
        out = dict(u)
        for e in self.entries:
            if e.name in out:
                out[e.name] = e.transform.forward(out[e.name])
        return out
