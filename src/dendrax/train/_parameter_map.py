"""Trainable parameters: which quantity, where, how shared, bounded how.

A :class:`Trainable` describes one trainable quantity; a :class:`ParameterMap` resolves a list of
them against a compiled System once (it needs nothing else), and then maps a params pytree (a
dict of arrays, usable by plain JAX code and optax) onto the System inside
``jit``/``grad``/``vmap``::

    pm = dendrax.ParameterMap(system, [
        Trainable("gna_soma", (dendrax.HH, "gnabar"), where="soma", transform=Sigmoid(0.01, 1)),
        Trainable("gl", (dendrax.HH, "gl"), sharing=PerRegion(), transform=Softplus()),
        Trainable("Ra", "Ra", transform=Softplus()),
    ])
    params = pm.init()                          # physical values, from the model
    sim = jax.jit(lambda p: simulate(pm.apply(system, p)))

Quantities: :class:`dendrax.MechanismParameter` (short form ``(ChannelClass, "param")``), in
that parameter's units, or :class:`dendrax.CableParameter` (short forms ``"cm"`` (µF/cm²),
``"Ra"`` (Ω·cm), ``"radius"`` (µm) and ``"length"`` (µm, per compartment)); in a network also
:class:`dendrax.ConnectionParameter` (``"weight_uS"``, ``"delay_ms"``) and the parameters of
synapses (point mechanisms, one position per instance).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..morphology._selection import Region, Selection
from ..solve._system import System
from ._quantities import Quantity, as_quantity
from ._sharing import Shared, Sharing
from ._site_where import site_mask
from ._transforms import Identity, Transform
from ._where import where_compartments


@dataclasses.dataclass(frozen=True)
class Trainable:
    """One trainable quantity.

    Args:
        name: key of this parameter in the params dict.
        quantity: a :class:`dendrax.MechanismParameter` or ``(ChannelClass, "param")``, a
            :class:`dendrax.CableParameter` or one of "cm", "Ra", "radius", "length", or a
            :class:`dendrax.ConnectionParameter` or one of "weight_uS", "delay_ms".
        where: a region name, a :class:`dendrax.Region` (every cell), a Selection, or None
            (everywhere the quantity exists); for synapses and connections also
            :class:`dendrax.Connections` or a ConnectionSet (for connections a string is a
            ``connect()`` name), and regions pick the synapses (connections onto synapses)
            in them.
        sharing: Shared() (default), PerRegion(), PerBranch(), PerCompartment(), PerCell(),
            PerPopulation(), Grouping(...); for synapses PerSynapse(); for connections
            PerConnection(), PerConnectionGroup(), PerPopulationPair(), PerSynapse().
        init: initial physical value(s): a number, one value per group, or None (the model's
            current values, averaged within each group).
        transform: maps unconstrained to physical values (default Identity()).
    """

    name: str
    quantity: Any
    where: Selection | Region | str | None = None
    sharing: Sharing = dataclasses.field(default_factory=Shared)
    init: Any = None
    transform: Transform = dataclasses.field(default_factory=Identity)


class Resolved(eqx.Module):
    """One trainable located in a System: ``leaf[positions] = factor * value[labels]``."""

    name: str = eqx.field(static=True)
    quantity: Quantity = eqx.field(static=True)
    group_names: tuple[str, ...] = eqx.field(static=True)
    getter: Callable = eqx.field(static=True)
    factor: float = eqx.field(static=True)
    transform: Transform = eqx.field(static=True)
    n_values: int = eqx.field(static=True)
    what: str = eqx.field(static=True)  # what the positions are: compartments, synapses, ...
    positions: jnp.ndarray  # positions inside the System leaf
    compartments: jnp.ndarray  # the compartment of every position
    labels: jnp.ndarray  # group of every position
    init_values: jnp.ndarray  # physical values, (n_values,)


def _initial_values(spec: Trainable, current, labels, n_values, group_names) -> np.ndarray:
    if spec.init is None:  # the mean of each group; exactly its value where it is uniform
        lo, hi = np.full(n_values, np.inf), np.full(n_values, -np.inf)
        np.minimum.at(lo, labels, current)
        np.maximum.at(hi, labels, current)
        mean = np.bincount(labels, weights=current) / np.bincount(labels)
        return np.where(lo == hi, lo, mean)
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
    return init


def resolve(spec: Trainable, system: System) -> Resolved:
    """Locate one Trainable in a System (NumPy, once)."""
    if not isinstance(spec, Trainable):
        raise TypeError(f"ParameterMap takes Trainable(...) entries, got {spec!r}.")
    if not isinstance(spec.transform, Transform):
        raise TypeError(f"Trainable {spec.name!r}: transform must be a dendrax Transform.")
    if not isinstance(spec.sharing, Sharing):
        raise TypeError(
            f"Trainable {spec.name!r}: sharing={spec.sharing!r}; use Shared(), PerRegion(), "
            "PerBranch(), PerCompartment(), PerCell(), PerPopulation(), Grouping(...), or for "
            "synapses and connections PerSynapse(), PerConnection(), PerConnectionGroup(), "
            "PerPopulationPair()."
        )
    quantity = as_quantity(spec.quantity, spec.name)
    try:
        located = quantity.locate(system)
    except ValueError as e:
        raise ValueError(f"Trainable {spec.name!r}: {e}") from None
    sites = located.positions_of()
    if spec.where is None:
        positions = np.arange(sites.compartments.size)
    elif located.dense:
        comps = where_compartments(system, spec.where)
        if comps.size == 0:
            raise ValueError(f"Trainable {spec.name!r}: the selection `where` is empty.")
        missing = np.setdiff1d(comps, sites.compartments)
        if missing.size:
            raise ValueError(
                f"Trainable {spec.name!r}: {quantity.describe()} is not inserted in "
                f"{missing.size} of the selected compartments; narrow `where`."
            )
        positions = np.flatnonzero(np.isin(sites.compartments, comps))
    else:
        positions = np.flatnonzero(
            site_mask(system, sites, spec.where, f"Trainable {spec.name!r}: where")
        )
        if positions.size == 0:
            raise ValueError(
                f"Trainable {spec.name!r}: `where` selects none of the {sites.what} that carry "
                f"{quantity.describe()}; widen it."
            )
    sites = sites.take(positions)
    comps_of_positions = sites.compartments
    labels, group_names = spec.sharing.labels_at(system, sites, spec.name)
    n_values = len(group_names)
    leaf = located.getter(system)
    current = np.asarray(_concatenated(leaf))[positions] / located.factor
    init = _initial_values(spec, current, labels, n_values, group_names)
    spec.transform.check(f"Trainable {spec.name!r}", init)
    return Resolved(
        name=spec.name,
        quantity=quantity,
        group_names=group_names,
        getter=located.getter,
        factor=located.factor,
        transform=spec.transform,
        n_values=n_values,
        what=sites.what,
        positions=jnp.asarray(positions, dtype=jnp.int32),
        compartments=jnp.asarray(comps_of_positions, dtype=jnp.int32),
        labels=jnp.asarray(labels, dtype=jnp.int32),
        init_values=jnp.asarray(init, dtype=_concatenated(leaf).dtype),
    )


def _concatenated(leaf):
    """The leaf, or the concatenation of a tuple of leaves (a quantity in several arrays)."""
    return jnp.concatenate(leaf) if isinstance(leaf, tuple) else leaf


def _set(leaf, positions, values):
    """``leaf`` with ``values`` at ``positions`` (into the concatenation for a tuple)."""
    if not isinstance(leaf, tuple):
        return leaf.at[positions].set(values.astype(leaf.dtype))
    flat = jnp.concatenate(leaf)
    flat = flat.at[positions].set(values.astype(flat.dtype))
    cuts = np.cumsum([x.shape[0] for x in leaf])[:-1]
    return tuple(jnp.split(flat, cuts))


class ParameterMap(eqx.Module):
    """Resolved trainables: maps a params dict ``{name: array(n_values)}`` onto a System.

    Args:
        system: the compiled System (it carries the layout: regions, branches, cells, groups);
            initial values not given are read from it.
        trainables: the :class:`Trainable` entries; names must be unique, and two entries must
            not set the same quantity in the same compartment.

    ``ParameterMap(cell, system, trainables)`` (the form before 0.2) still works and warns.
    The values of a trainable follow the order of :meth:`group_names` (regions and branches
    sorted, Grouping in the given order, compartments ascending).
    """

    entries: tuple[Resolved, ...]

    def __init__(self, system: Any, trainables: Any, *extra: Any) -> None:
        if extra:
            if len(extra) == 1 and isinstance(trainables, System):
                warnings.warn(
                    "ParameterMap(cell, system, trainables) is deprecated: the System carries "
                    "everything needed; use ParameterMap(system, trainables).",
                    DeprecationWarning,
                    stacklevel=4,  # through equinox's Module construction
                )
                system, trainables = trainables, extra[0]
            else:
                raise TypeError("ParameterMap takes (system, trainables).")
        if not isinstance(system, System):
            raise TypeError(
                f"ParameterMap(system, trainables): system must be a compiled dendrax System "
                f"(from dendrax.compile), got {type(system).__name__}."
            )
        trainables = list(trainables)
        names = [t.name for t in trainables if isinstance(t, Trainable)]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"Trainable names must be unique; repeated: {dup}.")
        entries = tuple(resolve(t, system) for t in trainables)
        for i, a in enumerate(entries):
            for b in entries[:i]:
                if a.quantity == b.quantity:
                    both = np.intersect1d(np.asarray(a.positions), np.asarray(b.positions))
                    if both.size:
                        raise ValueError(
                            f"Trainables {b.name!r} and {a.name!r} set the same quantity in "
                            f"{both.size} common {a.what}; make their `where` disjoint."
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
            values = e.factor * jnp.broadcast_to(value, (e.n_values,))[e.labels]
            system = eqx.tree_at(e.getter, system, _set(e.getter(system), e.positions, values))
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
