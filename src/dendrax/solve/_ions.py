"""Ion variables read by mechanisms (NMODL ``USEION ... READ``), at every site of a group."""

from __future__ import annotations

import jax

from ._system import MechanismGroup, System

Array = jax.Array


def site_params(system: System, group: MechanismGroup, v: Array | None = None) -> dict[str, Array]:
    """The group's parameters plus the ion variables it reads (mV or mM), one value per site,
    and for a graded synapse the presynaptic voltage ``v_pre`` (mV) taken from ``v``."""
    params = _site_params(system, group)
    if v is not None and group.pre_compartments is not None:
        params = {**params, "v_pre": v[group.pre_compartments]}
    return params


def _site_params(system: System, group: MechanismGroup) -> dict[str, Array]:
    reads = group.mechanism_type.ion_reads
    if not reads:
        return group.params
    values = system.ion_values
    if group.covers_all:
        return {**group.params, **{name: values[name] for name in reads}}
    return {**group.params, **{name: values[name][group.compartments] for name in reads}}
