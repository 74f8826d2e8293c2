"""Discretisation policies: how many compartments (NEURON: ``nseg``) each branch gets.

A policy is a small frozen object; a convention (:class:`~dendrax.NeuronImport3d`,
:class:`~dendrax.ReferenceConversion`) asks it for the count of every branch through
:meth:`Policy.ncomp`, handing over a :class:`Cables` description of the branches.

- :class:`NComp`: the same count everywhere.
- :class:`MaxLength`: ``ceil(L / max_length)``: no compartment longer than ``max_length_um``.
- :class:`DLambda`: NEURON's d_lambda rule (Hines & Carnevale, "The NEURON Book", 2006, ch. 5,
  and NEURON's ``fixnseg.hoc``): the odd count
  ``nseg = int((L / (d_lambda * λ_f) + 0.9) / 2) * 2 + 1`` where ``λ_f`` is the AC length
  constant at ``frequency_hz``. For a cylinder of diameter d (µm),
  ``λ_f = 1e5 * sqrt(d / (4π f Ra cm))`` µm with Ra in Ω·cm, cm in µF/cm² and f in Hz; how a
  tapering branch's ``λ_f`` is computed is the convention's business.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Mapping

import numpy as np


@dataclasses.dataclass(frozen=True)
class Cables:
    """What a policy may look at, one entry per branch.

    Attributes:
        length_um: branch lengths (µm).
        kind: region label of every branch.
        lambda_um: ``lambda_um(frequency_hz, Ra_ohm_cm, cm_uF_cm2) -> λ_f`` (µm) per branch, the
            AC length constant; ``Ra_ohm_cm`` and ``cm_uF_cm2`` are arrays, one value per branch.
    """

    length_um: np.ndarray
    kind: tuple[str, ...]
    lambda_um: Callable[[float, np.ndarray, np.ndarray], np.ndarray]


class Policy(abc.ABC):
    """Base class of discretisation policies."""

    @abc.abstractmethod
    def ncomp(self, cables: Cables) -> np.ndarray:
        """Number of compartments of every branch (int64 array, all >= 1)."""


def _positive(owner: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}({name}={value!r}): expected a number.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}({name}={value}): must be a finite number > 0.")
    return float(value)


@dataclasses.dataclass(frozen=True)
class NComp(Policy):
    """``n`` compartments in every branch."""

    n: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"NComp(n={self.n!r}): n must be a positive integer.")
        object.__setattr__(self, "n", int(self.n))

    def ncomp(self, cables: Cables) -> np.ndarray:
        return np.full(len(cables.length_um), self.n, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class MaxLength(Policy):
    """The fewest compartments no longer than ``max_length_um`` (µm): ``ceil(L / max)``."""

    max_length_um: float

    def __post_init__(self) -> None:
        value = _positive("MaxLength", "max_length_um", self.max_length_um)
        object.__setattr__(self, "max_length_um", value)

    def ncomp(self, cables: Cables) -> np.ndarray:
        n = np.ceil(np.asarray(cables.length_um) / self.max_length_um)
        return np.maximum(n, 1).astype(np.int64)


PerRegion = float | Mapping[str, float]


def _per_region(owner: str, name: str, value) -> float | tuple[tuple[str, float], ...]:
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{owner}({name}={{}}): give a number or {{region: value}}.")
        return tuple(
            sorted((str(k), _positive(owner, f"{name}[{k!r}]", v)) for k, v in value.items())
        )
    return _positive(owner, name, value)


def _resolve(owner: str, name: str, value, kind: tuple[str, ...]) -> np.ndarray:
    if isinstance(value, float):
        return np.full(len(kind), value)
    table = dict(value)
    missing = sorted(set(kind) - set(table))
    if missing:
        raise ValueError(
            f"{owner}: {name} has no value for region(s) {missing}; this cell's regions are "
            f"{sorted(set(kind))}. Give every region a value or one number for all."
        )
    return np.array([table[k] for k in kind], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class DLambda(Policy):
    """NEURON's d_lambda rule: compartments no longer than ``d_lambda`` of the AC length
    constant at ``frequency_hz`` (odd counts, as NEURON's ``fixnseg.hoc``).

    Args:
        d_lambda: the fraction of λ_f per compartment (NEURON's default 0.1).
        frequency_hz: the frequency (Hz) of λ_f (NEURON's default 100).
        Ra_ohm_cm: axial resistivity (Ω·cm): one number or ``{region: value}``. It should equal
            the value you simulate with (NEURON's default 35.4).
        cm_uF_cm2: specific capacitance (µF/cm²), likewise (default 1).
    """

    d_lambda: float = 0.1
    frequency_hz: float = 100.0
    Ra_ohm_cm: PerRegion = 35.4
    cm_uF_cm2: PerRegion = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_lambda", _positive("DLambda", "d_lambda", self.d_lambda))
        object.__setattr__(
            self, "frequency_hz", _positive("DLambda", "frequency_hz", self.frequency_hz)
        )
        for name in ("Ra_ohm_cm", "cm_uF_cm2"):
            object.__setattr__(self, name, _per_region("DLambda", name, getattr(self, name)))

    def ncomp(self, cables: Cables) -> np.ndarray:
        Ra = _resolve("DLambda", "Ra_ohm_cm", self.Ra_ohm_cm, cables.kind)
        cm = _resolve("DLambda", "cm_uF_cm2", self.cm_uF_cm2, cables.kind)
        lam = np.asarray(cables.lambda_um(self.frequency_hz, Ra, cm), dtype=np.float64)
        length = np.asarray(cables.length_um, dtype=np.float64)
        # NEURON: nseg = int((L/(d_lambda*lambda_f(freq)) + 0.9)/2)*2 + 1
        return (np.trunc((length / (self.d_lambda * lam) + 0.9) / 2.0) * 2 + 1).astype(np.int64)


def cylinder_lambda_um(
    diam_um: np.ndarray, frequency_hz: float, Ra_ohm_cm: np.ndarray, cm_uF_cm2: np.ndarray
) -> np.ndarray:
    """AC length constant (µm) of cylinders: ``1e5 * sqrt(d / (4π f Ra cm))``."""
    return 1e5 * np.sqrt(diam_um / (4.0 * np.pi * frequency_hz * Ra_ohm_cm * cm_uF_cm2))
