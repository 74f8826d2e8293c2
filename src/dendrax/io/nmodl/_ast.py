"""The syntax tree of an NMODL file: expressions, statements, blocks and declarations.

Plain frozen dataclasses with the source line of every node, built by :mod:`._parse` from the
lark parse tree and read by :mod:`._analysis` and :mod:`._lower`. Nothing here knows about
JAX or mechanisms.
"""

from __future__ import annotations

import dataclasses

# --- expressions -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Num:
    value: float
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Name:
    id: str
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Unary:
    op: str  # "-" or "!"
    operand: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Binary:
    op: str  # + - * / % ^ < <= > >= == != && ||
    left: Expr
    right: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Index:
    """``name[index]``: an array element (arrays are not lowered yet)."""

    name: str
    index: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Str:
    value: str
    line: int = 0


Expr = Num | Name | Unary | Binary | Call | Index | Str

# --- statements --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Assign:
    target: str
    value: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class DiffEq:
    """``state' = value`` in a DERIVATIVE block."""

    state: str
    value: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class CallStmt:
    call: Call
    line: int = 0


@dataclasses.dataclass(frozen=True)
class If:
    cond: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Local:
    names: tuple[str, ...]
    line: int = 0
    arrays: tuple[tuple[str, int | str], ...] = ()  # LOCAL a[4]: expanded by ._arrays


@dataclasses.dataclass(frozen=True)
class Solve:
    block: str
    method: str | None  # METHOD name
    steadystate: str | None  # STEADYSTATE name
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Table:
    """``TABLE names DEPEND deps FROM lo TO hi WITH n`` (NEURON's lookup tables)."""

    names: tuple[str, ...]
    depend: tuple[str, ...]
    low: Expr
    high: Expr
    n: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Verbatim:
    text: str  # the C code between VERBATIM and ENDVERBATIM
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Block:
    """A nested ``{ ... }`` (its LOCALs are scoped to it)."""

    body: tuple[Stmt, ...]
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Unsupported:
    """A statement dendrax parses but does not lower yet: ``construct`` names it for the error
    (e.g. "a KINETIC reaction '~'", "CONSERVE", "a FROM loop")."""

    construct: str
    line: int = 0


@dataclasses.dataclass(frozen=True)
class AssignIndex:
    """``name[index] = value`` (arrays are expanded to scalars by :mod:`._arrays`)."""

    target: str
    index: Expr
    value: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class FromLoop:
    """``FROM var = low TO high BY step { body }`` (unrolled by :mod:`._arrays`)."""

    var: str
    low: Expr
    high: Expr
    step: Expr | None
    body: tuple[Stmt, ...]
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Reaction:
    """A KINETIC reaction: ``~ 2a + b <-> c (kf, kb)`` (``kind`` "<->"), ``~ a -> b (kf)``
    ("->", ``backward`` None) or ``~ a << (flux)`` ("<<": ``forward`` is the flux into ``a``,
    ``right`` empty). ``left``/``right``: ``(stoichiometry, state)`` pairs (before the array
    expansion of :mod:`._arrays`, ``(stoichiometry, array, index)`` for an element)."""

    kind: str
    left: tuple[tuple[int, str], ...]
    right: tuple[tuple[int, str], ...]
    forward: Expr
    backward: Expr | None
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Conserve:
    """``CONSERVE left = right`` in a KINETIC block (``left`` a sum of states)."""

    left: Expr
    right: Expr
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Compartment:
    """``COMPARTMENT volume {states}`` in a KINETIC block (``index``: the loop variable of
    ``COMPARTMENT i, volume {arrays}``, element i of each array; expanded by :mod:`._arrays`)."""

    volume: Expr
    states: tuple[str, ...]
    line: int = 0
    index: str | None = None


Stmt = (
    Assign | DiffEq | CallStmt | If | Local | Solve | Table | Verbatim | Block | Unsupported
    | Reaction | Conserve | Compartment | AssignIndex | FromLoop
)  # fmt: skip

# --- declarations and blocks -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One name of a PARAMETER / ASSIGNED / STATE / CONSTANT block."""

    name: str
    value: float | None
    unit: str | None
    line: int = 0
    array: int | str | None = None  # a size, or a DEFINE name


@dataclasses.dataclass(frozen=True)
class UseIon:
    ion: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    valence: float | None
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Procedure:
    """A PROCEDURE, FUNCTION, DERIVATIVE, KINETIC, LINEAR/NONLINEAR or NET_RECEIVE block."""

    kind: str
    name: str
    args: tuple[str, ...]
    body: tuple[Stmt, ...]
    line: int = 0
    arg_units: tuple[str | None, ...] = ()


@dataclasses.dataclass
class ModFile:
    """Everything one NMODL file declares, in source order within each kind."""

    source: str  # the file name (or "<text>") for messages
    kind: str = ""  # "SUFFIX", "POINT_PROCESS" or "ARTIFICIAL_CELL"
    suffix: str = ""
    suffix_line: int = 0
    useions: list[UseIon] = dataclasses.field(default_factory=list)
    nonspecific: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    range_names: list[str] = dataclasses.field(default_factory=list)
    global_names: list[str] = dataclasses.field(default_factory=list)
    parameters: list[Declaration] = dataclasses.field(default_factory=list)
    assigned: list[Declaration] = dataclasses.field(default_factory=list)
    states: list[Declaration] = dataclasses.field(default_factory=list)
    constants: list[Declaration] = dataclasses.field(default_factory=list)
    unit_constants: list[tuple[str, str, str, int]] = dataclasses.field(default_factory=list)
    unit_numbers: list[tuple[str, float, int]] = dataclasses.field(default_factory=list)
    defines: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)
    top_locals: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    initial: tuple[Stmt, ...] | None = None
    initial_line: int = 0
    breakpoint: tuple[Stmt, ...] | None = None
    breakpoint_line: int = 0
    procedures: dict[str, Procedure] = dataclasses.field(default_factory=dict)
    includes: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    # constructs that make the file unsupported as a whole: (construct, line, what to do)
    unsupported: list[tuple[str, int, str]] = dataclasses.field(default_factory=list)
    verbatim: list[Verbatim] = dataclasses.field(default_factory=list)
