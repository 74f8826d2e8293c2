"""Ion variables read by mechanisms (NMODL ``USEION ... READ``), at every site of a group."""

from __future__ import annotations

import jax

from ._system import MechanismGroup, System

Array = jax.Array


def site_params(system: System, group: MechanismGroup) -> dict[str, Array]:
    """The group's parameters plus the ion variables it reads (mV or mM), one value per site."""
    reads = group.mechanism_type.ion_reads
    if not reads:
        return group.params
    values = system.ion_values
    if group.covers_all:
        return {**group.params, **{name: values[name] for name in reads}}
    return {**group.params, **{name: values[name][group.compartments] for name in reads}}
