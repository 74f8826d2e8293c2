"""Field checks shared by the file readers: errors name the field and what is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def check_number(
    where: str, value: Any, *, error: type[Exception], positive=False, nonneg=False
) -> float:
    """``value`` as a finite float (optionally > 0 or >= 0), else ``error`` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{where} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise error(f"{where} must be finite, got {value}.")
    if positive and value <= 0:
        raise error(f"{where} must be > 0, got {value}.")
    if nonneg and value < 0:
        raise error(f"{where} must be >= 0, got {value}.")
    return value


def check_unknown(where: str, data: Mapping, allowed, *, error: type[Exception]) -> None:
    """Raise ``error`` listing the fields of ``data`` that are not in ``allowed``."""
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise error(f"{where}: unknown field(s) {extra}; allowed fields are {sorted(allowed)}.")
