"""Bijections between unconstrained space (where optimisers step) and a parameter's valid range.

Each transform maps an unconstrained real ``u`` to a constrained value ``x = forward(u)`` and
back (``inverse``). Optimisers work on ``u``, so a conductance behind ``Softplus()`` or
``Sigmoid(lo, hi)`` can never become negative or leave its interval. All functions are
elementwise JAX code, safe under float32 and float64 (no overflow for large ``|u|``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


class Transform:
    """Base class: ``forward(u) -> x`` and ``inverse(x) -> u``."""

    def forward(self, u):
        raise NotImplementedError

    def inverse(self, x):
        raise NotImplementedError

    def check(self, name: str, x) -> None:
        """Raise a ValueError if a value ``x`` (NumPy) is outside the transform's range."""


@dataclasses.dataclass(frozen=True)
class Identity(Transform):
    """No constraint: ``x = u``."""

    def forward(self, u):
        return u

    def inverse(self, x):
        return x


@dataclasses.dataclass(frozen=True)
class Affine(Transform):
    """``x = scale · u + shift`` (scale != 0): e.g. to work in units of a typical value."""

    scale: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        if self.scale == 0:
            raise ValueError("Affine(scale=0) is not invertible; use a non-zero scale.")

    def forward(self, u):
        return self.scale * u + self.shift

    def inverse(self, x):
        return (x - self.shift) / self.scale


@dataclasses.dataclass(frozen=True)
class Softplus(Transform):
    """``x = lower + log(1 + exp(u))``: values above ``lower`` (default 0)."""

    lower: float = 0.0

    def forward(self, u):
        return self.lower + jax.nn.softplus(u)

    def inverse(self, x):
        y = jnp.asarray(x) - self.lower
        # log(exp(y) - 1), written to stay finite for large y and accurate for small y
        return y + jnp.log(-jnp.expm1(-y))

    def check(self, name, x):
        if not bool(jnp.all(jnp.asarray(x) > self.lower)):
            raise ValueError(
                f"{name}: initial value(s) must be > {self.lower} for Softplus(lower="
                f"{self.lower}); give an init inside the range."
            )


@dataclasses.dataclass(frozen=True)
class Sigmoid(Transform):
    """``x = lower + (upper - lower) · sigmoid(u)``: values inside ``(lower, upper)``."""

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not self.lower < self.upper:
            raise ValueError(
                f"Sigmoid(lower={self.lower}, upper={self.upper}): need lower < upper."
            )

    def forward(self, u):
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(u)

    def inverse(self, x):
        p = (jnp.asarray(x) - self.lower) / (self.upper - self.lower)
        return jnp.log(p) - jnp.log1p(-p)

    def check(self, name, x):
        x = jnp.asarray(x)
        if not bool(jnp.all((x > self.lower) & (x < self.upper))):
            raise ValueError(
                f"{name}: initial value(s) must lie strictly inside ({self.lower}, {self.upper}) "
                "for this Sigmoid bound; give an init inside the interval or widen the bounds."
            )


@dataclasses.dataclass(frozen=True)
class LogSigmoid(Transform):
    """``x = exp(log(lower) + (log(upper) - log(lower)) · sigmoid(u))``: values inside
    ``(lower, upper)`` with ``0 < lower < upper``, on a log scale.

    A step in ``u`` changes ``x`` by a factor, not by an amount, so a density bounded by
    ``[1e-5, 1e-2]`` moves as readily near 1e-5 as near 1e-2. ``dendrax fit`` uses it for
    conductance densities (S/cm²) with ``[lower, upper]`` bounds (docs/fitting.md).
    """

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not 0 < self.lower < self.upper:
            raise ValueError(
                f"LogSigmoid(lower={self.lower}, upper={self.upper}): need 0 < lower < upper "
                "(a log scale needs positive bounds; use Sigmoid for others)."
            )

    def forward(self, u):
        lo, hi = jnp.log(self.lower), jnp.log(self.upper)
        return jnp.exp(lo + (hi - lo) * jax.nn.sigmoid(u))

    def inverse(self, x):
        lo, hi = jnp.log(self.lower), jnp.log(self.upper)
        p = (jnp.log(jnp.asarray(x)) - lo) / (hi - lo)
        return jnp.log(p) - jnp.log1p(-p)

    def check(self, name, x):
        x = jnp.asarray(x)
        if not bool(jnp.all((x > self.lower) & (x < self.upper))):
            raise ValueError(
                f"{name}: initial value(s) must lie strictly inside ({self.lower}, {self.upper}) "
                "for this LogSigmoid bound; give an init inside the interval or widen the bounds."
            )


@dataclasses.dataclass(frozen=True)
class Chain(Transform):
    """Apply transforms in order: ``x = t_n(...t_2(t_1(u)))``."""

    transforms: tuple[Transform, ...]

    def forward(self, u):
        for t in self.transforms:
            u = t.forward(u)
        return u

    def inverse(self, x):
        for t in reversed(self.transforms):
            x = t.inverse(x)
        return x

    def check(self, name, x):
        self.transforms[-1].check(name, x)
