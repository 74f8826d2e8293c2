"""An immutable registry of mechanism classes by name, passed to the readers of model files.

There is no module-level mutable registry: :data:`DEFAULT_REGISTRY` holds the built-in
mechanisms, and :meth:`MechanismRegistry.with_mechanisms` returns a *new* registry with more
(user-written or imported from NMODL), which the readers take as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ._base import Mechanism


class MechanismRegistry(Mapping[str, type[Mechanism]]):
    """A read-only mapping ``name -> mechanism class``.

    Args:
        mechanisms: mechanism classes (subclasses of :class:`dendrax.Channel` or
            :class:`dendrax.PointMechanism`); names must be unique.
    """

    __slots__ = ("_by_name",)
    _by_name: dict[str, type[Mechanism]]

    def __init__(self, mechanisms: Iterable[type[Mechanism]] = ()) -> None:
        by_name: dict[str, type[Mechanism]] = {}
        for m in mechanisms:
            if not (isinstance(m, type) and issubclass(m, Mechanism)):
                raise TypeError(
                    f"MechanismRegistry takes mechanism classes (e.g. dendrax.HH), got {m!r}."
                )
            if not m.name:
                raise ValueError(f"{m.__name__} has no `name`; set the class attribute.")
            if m.name in by_name and by_name[m.name] is not m:
                raise ValueError(
                    f"Two mechanism classes are named {m.name!r} ({by_name[m.name].__name__} and "
                    f"{m.__name__}); rename one (the class attribute `name`)."
                )
            by_name[m.name] = m
        object.__setattr__(self, "_by_name", by_name)

    def __setattr__(self, name, value):
        raise AttributeError("MechanismRegistry is immutable; use with_mechanisms().")

    def __getitem__(self, name: str) -> type[Mechanism]:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"unknown mechanism {name!r}; known mechanisms are {sorted(self._by_name)}. "
                "Add your own with registry.with_mechanisms(MyChannel)."
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"MechanismRegistry({sorted(self._by_name)})"

    def with_mechanisms(self, *mechanisms: type[Mechanism]) -> MechanismRegistry:
        """A new registry with these classes added (the original is unchanged)."""
        return MechanismRegistry([*self._by_name.values(), *mechanisms])

    def owners_of_state(self, state: str) -> list[str]:
        """Names of the mechanisms that have a state called ``state``."""
        return [n for n, m in self._by_name.items() if state in m.states]
