"""The channel library (density mechanisms), one class per file."""

from .hh import HH
from .pas import Pas

__all__ = ["HH", "Pas"]
