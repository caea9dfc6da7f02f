"""Rule 2: at most two nested loops in `Conv2d.forward`, read from the code with `ast`.

The sheet allows two nested for-loops (over the output positions) and asks for numpy over the batch and the
channels. Every syntactic loop counts: `for`, `async for`, `while` and each `for` of a comprehension or generator
expression (`[... for a in x for b in y]` is two nested loops), also inside a function or lambda defined in
`forward`. A `for` loop's iterable and a comprehension's first iterable are evaluated before the loop, so they
count at the outer level; a `while` condition is evaluated every round, so it counts inside. Loops hidden in calls
(`np.vectorize`, `map`, a helper defined elsewhere) are not counted.

Usage: `loops.check(Repository(root))` -> RuleResult; `deepest_loops(function_node)` -> [(line, kind)].
"""
from __future__ import annotations

import ast
from typing import List, Optional, Sequence, Tuple

from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED, RuleResult, result
from tools.submission_rules.repository import Repository

KEY, TITLE = "loops", "two nested loops in Conv2d.forward"
FILE, CLASS, METHOD = "lib/convolutions.py", "Conv2d", "forward"
MAX_DEPTH = 2
Loop = Tuple[int, str]  # (line, kind)


def _find_method(tree: ast.AST) -> Optional[ast.AST]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef) and node.name == CLASS:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == METHOD:
                    return item
    return None


class _Nesting:
    """Walks a function and keeps the deepest chain of nested loops (the first one found at that depth)."""

    def __init__(self) -> None:
        self.deepest: List[Loop] = []

    def note(self, chain: List[Loop]) -> None:
        if len(chain) > len(self.deepest):
            self.deepest = list(chain)

    def visit(self, node: ast.AST, chain: List[Loop]) -> None:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.visit_all([node.target, node.iter], chain)
            inner = chain + [(node.lineno, "for loop")]
            self.note(inner)
            self.visit_all(node.body, inner)
            self.visit_all(node.orelse, chain)
        elif isinstance(node, ast.While):
            inner = chain + [(node.lineno, "while loop")]
            self.note(inner)
            self.visit_all([node.test] + node.body, inner)
            self.visit_all(node.orelse, chain)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            inner = chain
            for generator in node.generators:
                self.visit(generator.iter, inner)
                inner = inner + [(generator.target.lineno, "comprehension's for")]
                self.note(inner)
                self.visit_all(generator.ifs, inner)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            self.visit_all(parts, inner)
        else:
            self.visit_all(list(ast.iter_child_nodes(node)), chain)

    def visit_all(self, nodes: Sequence[ast.AST], chain: List[Loop]) -> None:
        for node in nodes:
            self.visit(node, chain)


def deepest_loops(method: ast.AST) -> List[Loop]:
    """The deepest chain of nested loops in a function's body, outermost first: [(line, kind), ...]."""
    nesting = _Nesting()
    nesting.visit_all(list(ast.iter_child_nodes(method)), [])
    return nesting.deepest


def check(repo: Repository) -> RuleResult:
    """Count the nested loops of Conv2d.forward in the submission's lib/convolutions.py."""
    text = repo.text(FILE)
    if text is None:
        return result(KEY, TITLE, NOT_CHECKED, f"{FILE} is missing")
    try:
        tree = ast.parse(text, FILE)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        return result(KEY, TITLE, NOT_CHECKED, f"{FILE}{f':{line}' if line else ''} is not valid Python "
                                               f"({getattr(error, 'msg', error)})")
    method = _find_method(tree)
    if method is None:
        return result(KEY, TITLE, NOT_CHECKED, f"{FILE} has no {CLASS}.{METHOD}")
    chain = deepest_loops(method)
    data = {"depth": len(chain), "loops": [{"line": line, "kind": kind} for line, kind in chain]}
    lines = ", ".join(str(line) for line, _ in chain)
    if len(chain) <= MAX_DEPTH:
        deepest = f"the deepest: {len(chain)}, lines {lines}" if chain else "no loops"
        return result(KEY, TITLE, PASSED, f"at most {MAX_DEPTH} nested ({deepest})", **data)
    line, kind = chain[MAX_DEPTH]
    outer = " inside ".join(f"the {k} at line {n}" for n, k in reversed(chain[:MAX_DEPTH]))
    return result(KEY, TITLE, FAILED, f"{len(chain)} nested loops: the third, a {kind}, at {FILE}:{line}",
                  [f"{FILE}:{line}: a third nested loop ({kind}) inside {outer}"], **data)
