"""The one error type of the NMODL importer: it names the file, the line, the construct and
what to do."""

from __future__ import annotations


class NmodlError(ValueError):
    """An NMODL file dendrax cannot import (a syntax error, or a construct it does not lower).

    Attributes:
        source: the file name, or ``"<text>"`` for text passed directly.
        line: the 1-based source line (0 where the problem has no single line).
        construct: the construct, e.g. ``"KINETIC block 'kin'"``.
    """

    def __init__(self, source: str, line: int, construct: str, problem: str, fix: str = ""):
        self.source = source
        self.line = line
        self.construct = construct
        where = f"{source}:{line}" if line else source
        text = f"{where}: {construct}: {problem}"
        if fix:
            text += f" {fix}"
        super().__init__(text)
