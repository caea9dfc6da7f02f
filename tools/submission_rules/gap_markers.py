"""The gaps of a submitted Python file: its `# START TODO` / `# END TODO` marker lines, paired, and their functions.

A submission can hold anything, so this reader is tolerant where the handout's builder (`tools.markers`, which
refuses any malformed marker) is strict: a marker is a comment-only line that reads like one (`# START TODO`, any
case, any number of `#`; text inside a string never is, where the file can be tokenized), START pairs with the
next END, and what does not fit is a problem ("file:line: what") instead of an error: a marker not written as
the template writes it, a START without its END (its gap is taken to run to the end of its function, or up to the
next marker), an END without a START, an END indented differently from its START. For a handout, whose markers the
builder checked, it finds exactly the builder's gaps. It ships with the checker, which cannot ship
`tools.markers` (that parser knows the reference's own regions too, which a handout never mentions); the few
functions that name a line's function live here, and `tools.markers` imports them.

Usage: `find_gaps(text, filename)` -> ([FoundGap(start, end, function, closed)], [problem, ...]).
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import List, NamedTuple, Optional, Tuple

_MARKER_LIKE = re.compile(r"#+\s*(START|END)\s*TODO\b", re.IGNORECASE)
_MARKER = re.compile(r"# (START|END) TODO(?: #+)?")


class FoundGap(NamedTuple):
    """A gap: its START and END lines (1-based), its function ("Class.method"; None if unknown), and whether it has
    its END line (an open gap runs to `end`, included)."""
    start: int
    end: int
    function: Optional[str]
    closed: bool = True


def source_lines(text: str) -> List[str]:
    """The lines with their endings, split as the tokenizer splits them (at "\\n" only)."""
    return io.StringIO(text).readlines()


def function_ranges(tree: ast.AST) -> List[Tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function and method, e.g. ("Conv2d.forward", 90, 130)."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((prefix + child.name, child.lineno, getattr(child, "end_lineno", child.lineno)))
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def enclosing_function(ranges: List[Tuple[str, int, int]], line: int) -> Optional[str]:
    """The innermost function of `function_ranges` that holds `line`, or None at module or class level."""
    holding = [(first, name) for name, first, last in ranges if first <= line <= last]
    return max(holding)[1] if holding else None


def _marker_lines(text: str) -> List[Tuple[int, str]]:
    """(line, comment) of each comment-only line that reads like a marker."""
    lines = source_lines(text)
    try:
        comments = [(token.start[0], token.string.rstrip()) for token in
                    tokenize.generate_tokens(io.StringIO(text).readline)
                    if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip()]
    except (tokenize.TokenError, SyntaxError):  # code that does not tokenize: read the lines as they stand
        comments = [(number, line.strip()) for number, line in enumerate(lines, 1) if line.lstrip().startswith("#")]
    return [(number, comment) for number, comment in comments if _MARKER_LIKE.match(comment)]


def find_gaps(text: str, filename: str) -> Tuple[List[FoundGap], List[str]]:
    """The gaps of a Python source and the problems of its markers (see the module docstring)."""
    lines = source_lines(text)
    try:
        tree: Optional[ast.AST] = ast.parse(text)
    except (SyntaxError, ValueError):
        tree = None
    ranges = function_ranges(tree) if tree is not None else []
    marked = _marker_lines(text)
    problems, pairs, unpaired = [], [], []
    opened: Optional[int] = None
    for number, comment in marked:
        if not _MARKER.fullmatch(comment):
            problems.append(f"{filename}:{number}: malformed marker {comment!r} (write it as "
                            f"'# START TODO ################' or '# END TODO ################')")
        if _MARKER_LIKE.match(comment).group(1).upper() == "START":
            if opened is not None:
                problems.append(f"{filename}:{opened}: START TODO without its END TODO (another START follows at "
                                f"line {number})")
                unpaired.append(opened)
            opened = number
        elif opened is None:
            problems.append(f"{filename}:{number}: END TODO without a START TODO before it")
        else:
            indents = [len(lines[n - 1]) - len(lines[n - 1].lstrip()) for n in (opened, number)]
            if indents[0] != indents[1]:
                problems.append(f"{filename}:{number}: END TODO indented differently from the START TODO at line "
                                f"{opened} ({indents[1]} and {indents[0]} columns)")
            pairs.append((opened, number))
            opened = None
    if opened is not None:
        problems.append(f"{filename}:{opened}: START TODO without its END TODO")
        unpaired.append(opened)
    known = tree is not None
    gaps = [FoundGap(start, end, enclosing_function(ranges, start) if known else None) for start, end in pairs]
    for start in unpaired:
        function = enclosing_function(ranges, start)
        last = max((last for name, first, last in ranges if name == function and first <= start), default=0)
        end = min([last] + [number - 1 for number, _ in marked if number > start][:1])
        if known and end > start:
            gaps.append(FoundGap(start, end, function, closed=False))
    return sorted(gaps), problems
