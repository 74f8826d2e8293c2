"""``dendrax.load_mod``: an NMODL file (or its text) -> a dendrax mechanism class, cached by
content.

The cache key is the SHA-256 of the file's text and of every file it INCLUDEs, with the
options: importing an unchanged file again returns the same class (so compiled models and
registries keep working), and a file that changed on disk is parsed and lowered again.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import threading
from collections.abc import Iterable

from ...mechanisms._base import Mechanism
from . import _ast as A
from ._errors import NmodlError

_CACHE: dict[tuple, type[Mechanism]] = {}
_LOCK = threading.Lock()


def load_mod(
    path_or_text: str | os.PathLike,
    *,
    carry: Iterable[str] | bool = (),
) -> type[Mechanism]:
    """Import an NMODL (``.mod``) file as a dendrax mechanism class.

    The class is used exactly like a hand-written one: insert it into a :class:`dendrax.Cell`
    (``cell.insert(Cls(gbar=0.01), "soma")``), train its parameters (``dx.Trainable(...,
    (Cls, "gbar"))``), record its states (``"SUFFIX.m"``), currents (``"SUFFIX.ina"``) and the
    RANGE variables its BREAKPOINT assigns (``"SUFFIX.gNaTa_t"``). Parameters keep the file's
    names, defaults and units; GLOBALs are ``global_parameters``; ``order_name`` is the file
    name (NEURON's update order). The numerics are NEURON's: docs/nmodl.md lists what is
    supported (tier A: density mechanisms with cnexp, derivimplicit and euler, FUNCTIONs,
    PROCEDUREs, if/else, TABLE, ion accumulation; tier B: KINETIC schemes by METHOD sparse
    with CONSERVE, COMPARTMENT and STEADYSTATE sparse; tier C, first part: POINT_PROCESS
    synapses, currents in nA, whose ``NET_RECEIVE(weight)`` adds weight-proportional jumps to
    STATEs, as the class's ``on_event``) and the known differences.

    Args:
        path_or_text: the path of a ``.mod`` file, or NMODL text (anything containing a
            newline or a brace is taken as text).
        carry: RANGE ASSIGNED variables that only the state update writes (e.g. ``"mInf"``)
            to keep as states, so that they can be recorded with NEURON's timing (the value
            after each step); ``True`` for all of them. Variables the file itself needs from
            one step to the next are always kept.

    Returns:
        A new :class:`dendrax.Channel` subclass named after the SUFFIX, or for a POINT_PROCESS a
        :class:`dendrax.PointMechanism` subclass (cached: the same file
        content and options give the same class).

    Raises:
        NmodlError: a syntax error, or a construct dendrax does not lower; the message names
            the file, the line, the construct and what to do.
        FileNotFoundError: ``path_or_text`` looks like a path and no such file exists.
    """
    text, source, base_dir, order_name = _read(path_or_text)
    carry_key: tuple[str, ...] | bool = carry if carry is True else tuple(carry)  # type: ignore[arg-type]
    if carry is not True and isinstance(carry, str):
        carry_key = (carry,)
    from ._parse import parse

    mod = parse(text, source)
    digest = hashlib.sha256(text.encode())
    _include(mod, base_dir, digest, [source])
    key = (digest.hexdigest(), source, order_name, carry_key)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    from ._analysis import analyse
    from ._arrays import expand
    from ._lower import lower

    expand(mod)
    cls = lower(analyse(mod, order_name, carry_key))
    with _LOCK:
        return _CACHE.setdefault(key, cls)


def _read(path_or_text) -> tuple[str, str, pathlib.Path, str]:
    """``(text, source name, folder for INCLUDE, order name)``."""
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "{" in path_or_text):
        return path_or_text, "<text>", pathlib.Path.cwd(), ""
    if not isinstance(path_or_text, (str, os.PathLike)):
        raise TypeError(
            f"load_mod takes the path of a .mod file or NMODL text, got {path_or_text!r}."
        )
    path = pathlib.Path(path_or_text)
    if not path.is_file():
        raise FileNotFoundError(
            f"load_mod: no file {str(path)!r} (pass NMODL text with at least one newline, or "
            "the path of an existing .mod file)."
        )
    return path.read_text(), str(path), path.resolve().parent, path.stem


def _include(mod: A.ModFile, base_dir: pathlib.Path, digest, stack: list[str]) -> None:
    """Merge every INCLUDEd file into ``mod`` (paths relative to the including file, as
    NEURON's translator resolves them first), adding their text to ``digest``."""
    from ._parse import parse

    for name, line in mod.includes:
        path = (base_dir / name).resolve()
        if not path.is_file():
            raise NmodlError(
                mod.source,
                line,
                f'INCLUDE "{name}"',
                f"the file {str(path)!r} does not exist.",
                "INCLUDE paths are relative to the including file.",
            )
        if str(path) in stack:
            raise NmodlError(mod.source, line, f'INCLUDE "{name}"', "includes itself.")
        text = path.read_text()
        digest.update(b"\0" + str(path).encode() + b"\0" + text.encode())
        inc = parse(text, str(path))
        _include(inc, path.parent, digest, [*stack, str(path)])
        _merge(mod, inc, line)


def _merge(mod: A.ModFile, inc: A.ModFile, line: int) -> None:
    if inc.kind:
        if mod.kind:
            raise NmodlError(
                mod.source,
                line,
                "INCLUDE",
                f"the included {inc.source} has a second NEURON block with SUFFIX/POINT_PROCESS.",
            )
        mod.kind, mod.suffix, mod.suffix_line = inc.kind, inc.suffix, inc.suffix_line
    for field in (
        "useions", "nonspecific", "range_names", "global_names", "parameters", "assigned",
        "states", "constants", "unit_constants", "unit_numbers", "defines", "top_locals",
        "unsupported", "verbatim",
    ):  # fmt: skip
        getattr(mod, field).extend(getattr(inc, field))
    for block in ("initial", "breakpoint"):
        if getattr(inc, block) is not None:
            if getattr(mod, block) is not None:
                raise NmodlError(mod.source, line, "INCLUDE", f"{block.upper()} is defined twice.")
            setattr(mod, block, getattr(inc, block))
    for name, proc in inc.procedures.items():
        if name in mod.procedures:
            raise NmodlError(
                mod.source,
                proc.line,
                f"{proc.kind} {name}",
                f"is defined twice (in {inc.source} too).",
            )
        mod.procedures[name] = proc
