"""Parse NMODL text into a :class:`~._ast.ModFile`: lark's LALR(1) parser on ``grammar.lark``
(contextual lexer, so units in parentheses and parenthesised expressions do not collide), then
a transformer to the dataclasses of :mod:`._ast`.

Syntax errors become :class:`~._errors.NmodlError` with the line, the column and the tokens
expected there.
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import lark
from lark import Token, Transformer, v_args

from . import _ast as A
from ._errors import NmodlError

GRAMMAR = pathlib.Path(__file__).with_name("grammar.lark")


@functools.lru_cache(maxsize=1)
def parser() -> lark.Lark:
    """The LALR parser, built once per process (~0.2 s; lark keeps the built tables in the
    temporary folder, after which ~0.03 s)."""
    return lark.Lark(
        GRAMMAR.read_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        cache=True,
    )


def parse(text: str, source: str = "<text>") -> A.ModFile:
    """The :class:`~._ast.ModFile` of NMODL ``text``; ``source`` names it in errors."""
    try:
        tree = parser().parse(text)
    except lark.exceptions.UnexpectedInput as e:
        raise _syntax_error(e, text, source) from None
    mod = _ToAst(source).transform(tree)
    assert isinstance(mod, A.ModFile)
    return mod


def _syntax_error(e: lark.exceptions.UnexpectedInput, text: str, source: str) -> NmodlError:
    line, column = getattr(e, "line", 0) or 0, getattr(e, "column", 0) or 0
    lines = text.splitlines()
    snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if isinstance(e, lark.exceptions.UnexpectedEOF):
        problem = "the file ends inside a block (a '}' is missing)"
    elif isinstance(e, lark.exceptions.UnexpectedToken):
        tok = e.token
        what = "the end of the file" if tok.type == "$END" else repr(str(tok))
        problem = f"unexpected {what} at column {column}"
    else:
        problem = f"unexpected character at column {column}"
    expected = sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or ())
    hint = f" (expected one of {', '.join(expected[:12])})" if expected else ""
    return NmodlError(
        source,
        line,
        "syntax error",
        f"{problem}{hint}: {snippet!r}.",
        "Check the statement against NEURON's NMODL syntax (an unmatched brace or a missing "
        "operator is the usual cause).",
    )


def _unit(tok: Any) -> str:
    return str(tok)[1:-1].strip()


def _line(meta: Any) -> int:
    return getattr(meta, "line", 0) or 0


_ARITH = {"+", "-", "*", "/", "%"}


@v_args(meta=True)
class _ToAst(Transformer):
    """lark tree -> :mod:`._ast` nodes (expressions and statements) and, at the root, the
    :class:`~._ast.ModFile`."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    # --- expressions ---------------------------------------------------------------------------
    def number(self, meta, ch):
        return A.Num(float(ch[0]), _line(meta))

    def name(self, meta, ch):
        return A.Name(str(ch[0]), _line(meta))

    def string(self, meta, ch):
        return A.Str(str(ch[0])[1:-1], _line(meta))

    def call(self, meta, ch):
        args = tuple(c for c in ch[1:] if c is not None)
        return A.Call(str(ch[0]), args, _line(meta))

    def index(self, meta, ch):
        return A.Index(str(ch[0]), ch[1], _line(meta))

    def neg(self, meta, ch):
        return A.Unary("-", ch[0], _line(meta))

    def pos(self, meta, ch):
        return ch[0]

    def not_(self, meta, ch):
        return A.Unary("!", ch[0], _line(meta))

    def pow(self, meta, ch):
        return A.Binary("^", ch[0], ch[1], _line(meta))

    def binop(self, meta, ch):
        return A.Binary(str(ch[1]), ch[0], ch[2], _line(meta))

    def compare(self, meta, ch):
        return A.Binary(str(ch[1]), ch[0], ch[2], _line(meta))

    def and_(self, meta, ch):
        return A.Binary("&&", ch[0], ch[1], _line(meta))

    def or_(self, meta, ch):
        return A.Binary("||", ch[0], ch[1], _line(meta))

    def signed_number(self, meta, ch):
        value = float(ch[-1])
        return -value if len(ch) == 2 and str(ch[0]) == "-" else value

    # --- statements ----------------------------------------------------------------------------
    def body(self, meta, ch):
        return tuple(s for s in ch if s is not None)

    def assign(self, meta, ch):
        return A.Assign(str(ch[0]), ch[1], _line(meta))

    def assign_index(self, meta, ch):
        return A.AssignIndex(str(ch[0]), ch[1], ch[2], _line(meta))

    def diffeq(self, meta, ch):
        name = str(ch[0])
        if name.count("'") > 1:
            return A.Unsupported(f"a higher-order derivative {name!r}", _line(meta))
        return A.DiffEq(name.rstrip("'"), ch[1], _line(meta))

    def call_stmt(self, meta, ch):
        return A.CallStmt(ch[0], _line(meta))

    def if_stmt(self, meta, ch):
        orelse = ch[2] if len(ch) > 2 and ch[2] is not None else ()
        return A.If(ch[0], ch[1], orelse, _line(meta))

    def else_part(self, meta, ch):
        part = ch[0]
        return (part,) if isinstance(part, A.If) else part

    def while_stmt(self, meta, ch):
        return A.Unsupported("a while loop", _line(meta))

    def from_loop(self, meta, ch):
        var, low, high = str(ch[0]), ch[1], ch[2]
        step = ch[3] if len(ch) == 5 else None
        return A.FromLoop(var, low, high, step, ch[-1], _line(meta))

    def local_names(self, meta, ch):
        out = []
        for c in ch:
            if isinstance(c, Token):
                out.append(str(c))
            else:
                out[-1] = (out[-1], c)  # an array LOCAL
        return out

    def array(self, meta, ch):
        return int(ch[0]) if ch[0].type == "INTEGER" else str(ch[0])

    def local(self, meta, ch):
        names = ch[0]
        arrays = tuple(n for n in names if isinstance(n, tuple))
        plain = tuple(n for n in names if not isinstance(n, tuple))
        return A.Local(plain, _line(meta), arrays)

    def solve(self, meta, ch):
        method = steady = None
        for c in ch[1:]:
            if isinstance(c, tuple) and c[0] == "method":
                method = c[1]
            elif isinstance(c, tuple) and c[0] == "steadystate":
                steady = c[1]
            elif isinstance(c, tuple):  # IFERROR body
                pass
        return A.Solve(str(ch[0]), method, steady, _line(meta))

    def solve_method(self, meta, ch):
        return ("method", str(ch[0]))

    def solve_steadystate(self, meta, ch):
        return ("steadystate", str(ch[0]))

    def name_list(self, meta, ch):
        return tuple(str(c) for c in ch)

    def depend(self, meta, ch):
        return ("depend", ch[0])

    def table(self, meta, ch):
        names: tuple[str, ...] = ()
        depend: tuple[str, ...] = ()
        rest = []
        for c in ch:
            if isinstance(c, tuple) and c and c[0] == "depend":
                depend = c[1]
            elif isinstance(c, tuple) and all(isinstance(x, str) for x in c) and not rest:
                names = c
            else:
                rest.append(c)
        low, high, n = rest
        return A.Table(names, depend, low, high, n, _line(meta))

    def units_on_off(self, meta, ch):
        return None

    def verbatim(self, meta, ch):
        return A.Verbatim(_verbatim_text(ch[0]), _line(meta))

    def reaction(self, meta, ch):
        r = ch[0]
        if isinstance(r, A.Unsupported):
            return A.Unsupported(r.construct, _line(meta))
        kind, left, right, forward, backward = r
        return A.Reaction(kind, left, right, forward, backward, _line(meta))

    def conserve(self, meta, ch):
        return A.Conserve(ch[0], ch[1], _line(meta))

    def compartment(self, meta, ch):
        head = ch[0]
        names = tuple(str(c) for c in ch[1:])
        if isinstance(head, tuple):  # COMPARTMENT i, expr {...}: element i of each array
            return A.Compartment(head[1], names, _line(meta), head[0])
        return A.Compartment(head, names, _line(meta))

    def longitudinal_diffusion(self, meta, ch):
        return A.Unsupported("LONGITUDINAL_DIFFUSION", _line(meta))

    def watch(self, meta, ch):
        return A.Unsupported("WATCH", _line(meta))

    def for_netcons(self, meta, ch):
        return A.Unsupported("FOR_NETCONS", _line(meta))

    def lag(self, meta, ch):
        return A.Unsupported("LAG", _line(meta))

    def nested_initial(self, meta, ch):
        return A.Unsupported("an INITIAL block inside NET_RECEIVE", _line(meta))

    def nested_body(self, meta, ch):
        return A.Block(ch[0], _line(meta))

    # the reaction grammar's pieces
    def reversible(self, meta, ch):
        left, right, kf, kb = ch
        return _reaction("<->", left, right, kf, kb)

    def irreversible(self, meta, ch):
        if len(ch) == 2:
            return _reaction("->", ch[0], (), ch[1], None)
        return _reaction("->", ch[0], ch[1], ch[2], None)

    def flux(self, meta, ch):
        return _reaction("<<", ch[0], (), ch[1], None)

    def reactants(self, meta, ch):
        return tuple(ch)

    def reactant(self, meta, ch):
        tokens = [c for c in ch if isinstance(c, Token)]
        name = str(next(t for t in tokens if t.type == "NAME"))
        stoich = next((int(t) for t in tokens if t.type == "INTEGER"), 1)
        if len(tokens) < len(ch):  # name[index]
            return (stoich, name, ch[-1])
        return (stoich, name)

    def compartment_head(self, meta, ch):
        return ch[0] if len(ch) == 1 else (str(ch[0]), ch[1])

    # --- NEURON block --------------------------------------------------------------------------
    def suffix(self, meta, ch):
        return ("kind", "SUFFIX", str(ch[0]), _line(meta))

    def point_process(self, meta, ch):
        return ("kind", "POINT_PROCESS", str(ch[0]), _line(meta))

    def artificial_cell(self, meta, ch):
        return ("kind", "ARTIFICIAL_CELL", str(ch[0]), _line(meta))

    def read(self, meta, ch):
        return ("read", ch[0])

    def write(self, meta, ch):
        return ("write", ch[0])

    def valence(self, meta, ch):
        return ("valence", ch[0])

    def represents(self, meta, ch):
        return None

    def useion(self, meta, ch):
        parts = {c[0]: c[1] for c in ch[1:] if isinstance(c, tuple)}
        return (
            "useion",
            A.UseIon(
                str(ch[0]),
                parts.get("read", ()),
                parts.get("write", ()),
                parts.get("valence"),
                _line(meta),
            ),
        )

    def nonspecific(self, meta, ch):
        return ("nonspecific", ch[0], _line(meta))

    def range_(self, meta, ch):
        return ("range", ch[0])

    def global_(self, meta, ch):
        return ("global", ch[0])

    def electrode_current(self, meta, ch):
        return ("unsupported", "ELECTRODE_CURRENT", _line(meta), _FIX_ELECTRODE)

    def pointer(self, meta, ch):
        return ("unsupported", f"POINTER {', '.join(ch[0])}", _line(meta), _FIX_POINTER)

    def bbcorepointer(self, meta, ch):
        return ("unsupported", "BBCOREPOINTER", _line(meta), _FIX_POINTER)

    def random(self, meta, ch):
        return ("unsupported", "RANDOM", _line(meta), _FIX_RANDOM)

    def external(self, meta, ch):
        return ("unsupported", "EXTERNAL", _line(meta), _FIX_POINTER)

    def threadsafe(self, meta, ch):
        return None

    def neuron_verbatim(self, meta, ch):
        return ("verbatim", A.Verbatim(_verbatim_text(ch[0]), _line(meta)))

    def neuron_block(self, meta, ch):
        return ("neuron", [c for c in ch if c is not None])

    # --- declaration blocks --------------------------------------------------------------------
    def default(self, meta, ch):
        return ("default", ch[0])

    def from_to(self, meta, ch):
        return None

    def limits(self, meta, ch):
        return None

    def declaration(self, meta, ch):
        value = unit = array = None
        for c in ch[1:]:
            if isinstance(c, tuple) and c[0] == "default":
                value = c[1]
            elif isinstance(c, Token) and c.type == "UNIT":
                unit = _unit(c)
            elif isinstance(c, int) or (isinstance(c, str) and not isinstance(c, Token)):
                array = c  # a size or a DEFINE name
        return A.Declaration(str(ch[0]), value, unit, _line(meta), array)

    def parameter_block(self, meta, ch):
        return ("parameters", ch)

    def assigned_block(self, meta, ch):
        return ("assigned", ch)

    def state_block(self, meta, ch):
        return ("states", ch)

    def constant_block(self, meta, ch):
        return ("constants", ch)

    def unit_alias(self, meta, ch):
        return None

    def unit_constant(self, meta, ch):
        return ("unit_constant", str(ch[0]), _unit(ch[1]), _unit(ch[2]), _line(meta))

    def unit_number(self, meta, ch):
        return ("unit_number", str(ch[0]), ch[1], _line(meta))

    def units_block(self, meta, ch):
        return ("units", [c for c in ch if c is not None])

    def independent_block(self, meta, ch):
        return None

    def top_local(self, meta, ch):
        return ("top_local", ch[0], _line(meta))

    def define(self, meta, ch):
        return ("define", str(ch[0]), int(ch[1]), _line(meta))

    def include(self, meta, ch):
        return ("include", str(ch[0])[1:-1], _line(meta))

    def top_verbatim(self, meta, ch):
        return ("verbatim", A.Verbatim(_verbatim_text(ch[0]), _line(meta)))

    # --- code blocks ---------------------------------------------------------------------------
    def initial_block(self, meta, ch):
        return ("initial", ch[0], _line(meta))

    def breakpoint_block(self, meta, ch):
        return ("breakpoint", ch[0], _line(meta))

    def arguments(self, meta, ch):
        return tuple(ch)

    def argument(self, meta, ch):
        return (str(ch[0]), _unit(ch[1]) if len(ch) > 1 else None)

    def _procedure(self, kind, meta, ch):
        # children: [NAME] [arguments] [UNIT] body; the body is always last
        name = "NET_RECEIVE" if kind == "NET_RECEIVE" else str(ch[0])
        args: tuple = ()
        for c in ch[:-1]:
            if isinstance(c, tuple):
                args = c
        return (
            "procedure",
            A.Procedure(
                kind,
                name,
                tuple(a[0] for a in args),
                ch[-1],
                _line(meta),
                tuple(a[1] for a in args),
            ),
        )

    def derivative_block(self, meta, ch):
        return self._procedure("DERIVATIVE", meta, ch)

    def kinetic_block(self, meta, ch):
        return self._procedure("KINETIC", meta, ch)

    def linear_block(self, meta, ch):
        return ("unsupported", f"{ch[0]} block '{ch[1]}'", _line(meta), _FIX_LINEAR)

    def procedure_block(self, meta, ch):
        return self._procedure("PROCEDURE", meta, ch)

    def function_block(self, meta, ch):
        return self._procedure("FUNCTION", meta, ch)

    def net_receive_block(self, meta, ch):
        return self._procedure("NET_RECEIVE", meta, ch)

    def function_table(self, meta, ch):
        return ("unsupported", f"FUNCTION_TABLE {ch[0]}", _line(meta), _FIX_FUNCTION_TABLE)

    def other_block(self, meta, ch):
        words = " ".join(str(c) for c in ch if isinstance(c, Token))
        return ("unsupported", f"{words} block", _line(meta), _FIX_OTHER)

    # --- the file ------------------------------------------------------------------------------
    def start(self, meta, items):
        mod = A.ModFile(self.source)
        for item in items:
            if item is None:
                continue
            _add(mod, item)
        return mod


def _reaction(kind, left, right, forward, backward):
    return (kind, left, right, forward, backward)


def _verbatim_text(tok: Any) -> str:
    text = str(tok)
    return text[len("VERBATIM") : -len("ENDVERBATIM")]


def _add(mod: A.ModFile, item: tuple) -> None:
    tag = item[0]
    if tag == "neuron":
        for entry in item[1]:
            _add_neuron(mod, entry)
    elif tag in ("parameters", "assigned", "states", "constants"):
        getattr(mod, tag).extend(item[1])
    elif tag == "units":
        for u in item[1]:
            if u[0] == "unit_constant":
                mod.unit_constants.append(u[1:])
            else:
                mod.unit_numbers.append(u[1:])
    elif tag == "initial":
        mod.initial, mod.initial_line = item[1], item[2]
    elif tag == "breakpoint":
        mod.breakpoint, mod.breakpoint_line = item[1], item[2]
    elif tag == "procedure":
        proc: A.Procedure = item[1]
        mod.procedures[proc.name] = proc
    elif tag == "unsupported":
        mod.unsupported.append(item[1:])
    elif tag == "top_local":
        mod.top_locals.extend((n, item[2]) for n in item[1] if isinstance(n, str))
    elif tag == "define":
        mod.defines.append(item[1:])
    elif tag == "include":
        mod.includes.append(item[1:])
    elif tag == "verbatim":
        mod.verbatim.append(item[1])


def _add_neuron(mod: A.ModFile, entry: tuple) -> None:
    tag = entry[0]
    if tag == "kind":
        mod.kind, mod.suffix, mod.suffix_line = entry[1], entry[2], entry[3]
    elif tag == "useion":
        mod.useions.append(entry[1])
    elif tag == "nonspecific":
        mod.nonspecific.extend((n, entry[2]) for n in entry[1])
    elif tag == "range":
        mod.range_names.extend(entry[1])
    elif tag == "global":
        mod.global_names.extend(entry[1])
    elif tag == "unsupported":
        mod.unsupported.append(entry[1:])
    elif tag == "verbatim":
        mod.verbatim.append(entry[1])


_FIX_POINTER = (
    "dendrax has no pointers between mechanisms yet; replace the variable by a PARAMETER (or "
    "an ion variable with USEION) and set it from the model."
)
_FIX_ELECTRODE = "electrode currents are not supported yet; use dendrax.IClamp or dendrax.SEClamp."
_FIX_RANDOM = "random numbers are not supported (a differentiable simulation is deterministic)."
_FIX_LINEAR = "LINEAR/NONLINEAR systems are not supported yet; write the solution explicitly."
_FIX_FUNCTION_TABLE = (
    "FUNCTION_TABLE needs data from hoc; write the function as a FUNCTION of its arguments."
)
_FIX_OTHER = "this block is not supported yet; move its statements into INITIAL or BREAKPOINT."
