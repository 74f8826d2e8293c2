"""The ion variables that the model's mechanisms read, one value per compartment."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ...mechanisms._ions import NEURON_DEFAULTS, ion_unit
from ...solve._system import MechanismGroup


def ion_table(
    groups: list[MechanismGroup], given: Mapping[str, float] | None, n_comp: int
) -> dict[str, np.ndarray]:
    """``{name: (n_comp,)}`` for every ion variable read by a mechanism (sorted by name)."""
    given = {} if given is None else dict(given)
    readers: dict[str, list[str]] = {}
    for g in groups:
        for name in g.mechanism_type.ion_reads:
            readers.setdefault(name, []).append(g.mechanism_type.__name__)
    unused = sorted(set(given) - set(readers))
    if unused:
        raise ValueError(
            f"compile(ion_values=...): no mechanism of this model reads {unused}; the ion "
            f"variables read are {sorted(readers) or 'none'}."
        )
    out = {}
    for name in sorted(readers):
        if name in given:
            value = given[name]
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(
                    f"compile(ion_values={{{name!r}: {value!r}}}): give a finite number "
                    f"({ion_unit(name)})."
                )
        elif name in NEURON_DEFAULTS:
            value = NEURON_DEFAULTS[name]
        else:
            raise ValueError(
                f"{', '.join(readers[name])} read(s) {name!r}, which has no default; give it "
                f"with compile(..., ion_values={{{name!r}: value}}) ({ion_unit(name)})."
            )
        out[name] = np.full(n_comp, float(value))
    return out
