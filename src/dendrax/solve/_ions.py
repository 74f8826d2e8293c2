"""Ion variables at every compartment (NMODL ``USEION``): fixed values, the concentrations
mechanisms integrate, Nernst potentials recomputed at the start of every step
(``FORMAT_V2.md`` section 7, item 2), and their values at the sites of a mechanism group."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..mechanisms._ions import nernst
from ._index import at_sites
from ._system import MechanismGroup, System

Array = jax.Array


def ion_environment(system: System, conc: dict[str, Array]) -> dict[str, Array]:
    """``{name: (n_comp,)}`` of every ion variable at the start of a step: the fixed values,
    the current concentrations ``conc`` (mM) and, where computed, ``e = Nernst(ci, co)`` (mV)
    at the System's temperature."""
    ions = system.ions
    if not ions.nernst and not conc:
        return system.ion_values
    env = {**system.ion_values, **conc}
    for (e, ci, co, valence), mask in zip(ions.nernst, ions.mask):
        computed = nernst(env[ci], env[co], valence, system.celsius)
        env[e] = jnp.where(mask, computed, env[e])
    return env


def site_params(
    system: System,
    group: MechanismGroup,
    v: Array | None = None,
    env: dict[str, Array] | None = None,
) -> dict[str, Array]:
    """The group's parameters plus the ion variables it reads (mV, mM or mA/cm²; from
    ``env``, default the fixed values), one value per site, and for a graded synapse the
    presynaptic voltage ``v_pre`` (mV) taken from ``v``."""
    reads = group.mechanism_type.ion_reads
    params = group.params
    if reads:
        values = system.ion_values if env is None else env
        # an ion total i<ion> exists only once the currents are summed (update, not current)
        present = [name for name in reads if name in values]
        params = {
            **params,
            **{name: at_sites(group, values[name], system.n_comp) for name in present},
        }
    if v is not None and group.pre_compartments is not None:
        params = {**params, "v_pre": v[group.pre_compartments]}
    return params
