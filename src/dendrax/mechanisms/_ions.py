"""Ion variables that mechanisms read (NMODL ``USEION x READ ex, xi, xo``): names, units and
NEURON's default values.

A name is a reversal potential ``e<ion>`` (mV) or an intra-/extracellular concentration
``<ion>i`` / ``<ion>o`` (mM). Defaults are NEURON's for na and k (``ena = 50``, ``ek = -77`` mV;
``nai = 10``, ``nao = 140``, ``ki = 54.4``, ``ko = 2.5`` mM) and its calcium concentrations
(``cai = 5e-5``, ``cao = 2`` mM); anything else is given per model with
``dendrax.compile(..., ion_values={name: value})``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

NEURON_DEFAULTS: dict[str, float] = {
    "ena": 50.0,
    "ek": -77.0,
    "nai": 10.0,
    "nao": 140.0,
    "ki": 54.4,
    "ko": 2.5,
    "cai": 5e-5,
    "cao": 2.0,
}

_NAME = re.compile(r"^(e[a-z][a-z0-9_]*|[a-z][a-z0-9_]*[io])$")


def ion_unit(name: str) -> str:
    """``"mV"`` for a reversal potential ``e<ion>``, ``"mM"`` for a concentration."""
    return "mV" if name.startswith("e") and not name.endswith(("i", "o")) else "mM"


def check_ion_reads(owner: str, reads, parameters: Mapping) -> None:
    """The declared ``ion_reads`` of a mechanism class are well formed."""
    if isinstance(reads, str) or not all(isinstance(r, str) for r in reads):
        raise TypeError(f"{owner}.ion_reads must be a tuple of names such as ('ena',).")
    bad = [r for r in reads if not _NAME.match(r)]
    if bad:
        raise ValueError(
            f"{owner}.ion_reads: {bad} are not ion variables; use e<ion> (reversal potential, "
            "mV) or <ion>i / <ion>o (concentration, mM), e.g. 'ena', 'cai'."
        )
    clash = sorted(set(reads) & set(parameters))
    if clash:
        raise ValueError(
            f"{owner}: {clash} are both parameters and ion_reads; a value read from the ion "
            "cannot also be a parameter of the mechanism. Drop one of them."
        )
