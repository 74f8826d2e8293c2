"""Arrays and FROM loops (tier B), expanded before the analysis: element ``k`` of an array
``x[N]`` (STATE, ASSIGNED, PARAMETER, CONSTANT or LOCAL; ``N`` a number or a DEFINE) becomes
the scalar ``x_k``; ``FROM i = a TO b BY s { ... }`` (bounds inclusive, as in NMODL) is
unrolled with ``i`` replaced by each value, so every index must be a constant expression
(numbers, DEFINEs, CONSTANTs, loop variables) after unrolling; ``COMPARTMENT i, vol {x y}``
gives element ``k`` of each listed array the volume ``vol`` with ``i = k``, and ``COMPARTMENT
vol {x}`` every element of ``x``. A RANGE or GLOBAL array lists all its elements.
"""

from __future__ import annotations

import dataclasses

from . import _ast as A
from ._errors import NmodlError

_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def element(name: str, k: int) -> str:
    """The scalar name of element ``k`` of the array ``name``."""
    return f"{name}_{k}"


class _Expander:
    def __init__(self, mod: A.ModFile):
        self.mod = mod
        self.defines = {n: float(v) for n, v, _ in mod.defines}
        self.consts = dict(self.defines)
        for d in mod.constants:
            if d.value is not None and d.array is None:
                self.consts[d.name] = d.value
        self.sizes: dict[str, int] = {}

    def fail(self, line, construct, problem, fix=""):
        return NmodlError(self.mod.source, line, construct, problem, fix)

    # --- declarations ------------------------------------------------------------------------
    def declarations(self) -> None:
        mod = self.mod
        declared = {d.name for f in ("parameters", "assigned", "states", "constants")
                    for d in getattr(mod, f)}  # fmt: skip
        for field in ("parameters", "assigned", "states", "constants"):
            out: list[A.Declaration] = []
            for d in getattr(mod, field):
                if d.array is None:
                    out.append(d)
                    continue
                n = self.size(d.array, d.line, d.name)
                self.sizes[d.name] = n
                for k in range(n):
                    name = element(d.name, k)
                    if name in declared:
                        raise self.fail(
                            d.line,
                            f"array {d.name}[{n}]",
                            f"its element {k} is named {name!r} in dendrax, which the file "
                            "declares too.",
                            "Rename the other variable.",
                        )
                    out.append(dataclasses.replace(d, name=name, array=None))
            setattr(mod, field, out)
        for field in ("range_names", "global_names"):
            names = []
            for n in getattr(mod, field):
                if n in self.sizes:
                    names += [element(n, k) for k in range(self.sizes[n])]
                else:
                    names.append(n)
            setattr(mod, field, names)

    def size(self, value, line: int, name: str) -> int:
        if isinstance(value, str):
            if value not in self.defines:
                raise self.fail(
                    line,
                    f"array {name}[{value}]",
                    f"the size {value!r} is not a DEFINE.",
                    "Give the size as a number or DEFINE it.",
                )
            value = self.defines[value]
        n = int(value)
        if n < 1 or n != value:
            raise self.fail(line, f"array {name}[{value}]", "the size must be a positive integer.")
        return n

    # --- statements --------------------------------------------------------------------------
    def body(self, body, lv: dict[str, int], la: dict[str, int]) -> tuple[A.Stmt, ...]:
        out: list[A.Stmt] = []
        for s in body:
            out.extend(self.stmt(s, lv, la))
        return tuple(out)

    def stmt(self, s, lv, la) -> list[A.Stmt]:
        line = getattr(s, "line", 0)
        if isinstance(s, A.Assign):
            if s.target in self.sizes or s.target in la:
                raise self.fail(line, f"{s.target} = ...", "assigns a whole array.",
                                "Assign its elements: x[i] = ...")  # fmt: skip
            if s.target in lv:
                raise self.fail(line, f"{s.target} = ...", "assigns the FROM loop variable.")
            return [dataclasses.replace(s, value=self.expr(s.value, lv, la))]
        if isinstance(s, A.AssignIndex):
            target = self.elem(s.target, s.index, lv, la, line)
            return [A.Assign(target, self.expr(s.value, lv, la), line)]
        if isinstance(s, A.DiffEq):
            return [dataclasses.replace(s, value=self.expr(s.value, lv, la))]
        if isinstance(s, A.CallStmt):
            call = self.expr(s.call, lv, la)
            assert isinstance(call, A.Call)
            return [A.CallStmt(call, line)]
        if isinstance(s, A.If):
            decided = self.fold(s.cond, lv) if lv else None
            if decided is not None:  # a condition on loop variables: decided when unrolled
                return list(self.body(s.body if decided else s.orelse, lv, la))
            return [
                A.If(
                    self.expr(s.cond, lv, la),
                    self.body(s.body, lv, la),
                    self.body(s.orelse, lv, la),
                    line,
                )
            ]
        if isinstance(s, A.Block):
            return [A.Block(self.body(s.body, lv, la), line)]
        if isinstance(s, A.Local):
            names = list(s.names)
            for name, size in s.arrays:
                n = self.size(size, line, name)
                la[name] = n
                names += [element(name, k) for k in range(n)]
            return [A.Local(tuple(names), line)]
        if isinstance(s, A.FromLoop):
            low = self.index(s.low, lv, line, "FROM")
            high = self.index(s.high, lv, line, "TO")
            step = 1 if s.step is None else self.index(s.step, lv, line, "BY")
            if step <= 0:
                raise self.fail(line, "a FROM loop", "BY must be a positive integer.")
            out: list[A.Stmt] = []
            for k in range(low, high + 1, step):
                out.append(A.Block(self.body(s.body, {**lv, s.var: k}, la), line))
            return out
        if isinstance(s, A.Reaction):

            def side(pairs):
                new = []
                for p in pairs:
                    if len(p) == 3:
                        new.append((p[0], self.elem(p[1], p[2], lv, la, line)))
                    elif p[1] in self.sizes:
                        raise self.fail(line, f"a reaction of {p[1]}", "uses a whole array.",
                                        "Name an element: x[i].")  # fmt: skip
                    else:
                        new.append(p)
                return tuple(new)

            return [
                A.Reaction(
                    s.kind,
                    side(s.left),
                    side(s.right),
                    self.expr(s.forward, lv, la),
                    None if s.backward is None else self.expr(s.backward, lv, la),
                    line,
                )
            ]
        if isinstance(s, A.Conserve):
            return [A.Conserve(self.expr(s.left, lv, la), self.expr(s.right, lv, la), line)]
        if isinstance(s, A.Compartment):
            if s.index is None:
                states: list[str] = []
                for st in s.states:
                    if st in self.sizes:
                        states += [element(st, k) for k in range(self.sizes[st])]
                    else:
                        states.append(st)
                return [A.Compartment(self.expr(s.volume, lv, la), tuple(states), line)]
            sizes = {self.sizes[st] for st in s.states if st in self.sizes}
            if len(sizes) != 1:
                raise self.fail(
                    line,
                    f"COMPARTMENT {s.index}, ...",
                    "needs arrays of one size in its list.",
                )
            (size,) = sizes
            parts: list[A.Stmt] = []
            for k in range(size):
                elems = tuple(element(a, k) if a in self.sizes else a for a in s.states)
                vol = self.expr(s.volume, {**lv, s.index: k}, la)
                parts.append(A.Compartment(vol, elems, line))
            return parts
        return [s]  # Solve, Table, Verbatim, Unsupported

    # --- expressions -------------------------------------------------------------------------
    def expr(self, e, lv, la):
        if isinstance(e, A.Name):
            if e.id in lv:
                return A.Num(float(lv[e.id]), e.line)
            if e.id in self.sizes or e.id in la:
                raise self.fail(e.line, e.id, "uses a whole array as a value.",
                                "Name an element: x[i].")  # fmt: skip
            return e
        if isinstance(e, A.Index):
            return A.Name(self.elem(e.name, e.index, lv, la, e.line), e.line)
        if isinstance(e, A.Unary):
            return A.Unary(e.op, self.expr(e.operand, lv, la), e.line)
        if isinstance(e, A.Binary):
            return A.Binary(e.op, self.expr(e.left, lv, la), self.expr(e.right, lv, la), e.line)
        if isinstance(e, A.Call):
            return A.Call(e.func, tuple(self.expr(a, lv, la) for a in e.args), e.line)
        return e

    def elem(self, name: str, index, lv, la, line: int) -> str:
        n = self.sizes.get(name, la.get(name))
        if n is None:
            raise self.fail(line, f"{name}[...]", f"{name!r} is not an array.",
                            "Declare it with a size, e.g. STATE { x[4] }.")  # fmt: skip
        k = self.index(index, lv, line, f"{name}[...]")
        if not 0 <= k < n:
            raise self.fail(line, f"{name}[{k}]", f"is outside the array (size {n}).")
        return element(name, k)

    def index(self, e, lv, line: int, what: str) -> int:
        value = self.fold(e, lv)
        if value is None or value != int(value):
            raise self.fail(
                line,
                what,
                "an index or loop bound must be a constant integer expression (numbers, "
                "DEFINEs, CONSTANTs and FROM loop variables).",
                "Arrays are expanded when the file is imported; write the bound as a number.",
            )
        return int(value)

    def fold(self, e, lv) -> float | None:
        if isinstance(e, A.Num):
            return e.value
        if isinstance(e, A.Name):
            if e.id in lv:
                return float(lv[e.id])
            return self.consts.get(e.id)
        if isinstance(e, A.Unary) and e.op == "-":
            x = self.fold(e.operand, lv)
            return None if x is None else -x
        if isinstance(e, A.Binary) and e.op in _COMPARE:
            a, b = self.fold(e.left, lv), self.fold(e.right, lv)
            if a is None or b is None:
                return None
            return 1.0 if _COMPARE[e.op](a, b) else 0.0
        if isinstance(e, A.Binary) and e.op in ("+", "-", "*", "/"):
            a, b = self.fold(e.left, lv), self.fold(e.right, lv)
            if a is None or b is None:
                return None
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            return a / b if b else None
        return None


def expand(mod: A.ModFile) -> None:
    """Expand ``mod``'s arrays and FROM loops in place (module docstring)."""
    ex = _Expander(mod)
    ex.declarations()
    if mod.initial is not None:
        mod.initial = ex.body(mod.initial, {}, {})
    if mod.breakpoint is not None:
        mod.breakpoint = ex.body(mod.breakpoint, {}, {})
    for name, proc in list(mod.procedures.items()):
        mod.procedures[name] = dataclasses.replace(proc, body=ex.body(proc.body, {}, {}))
