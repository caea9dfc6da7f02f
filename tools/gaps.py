"""The exercise's nine gaps: where each one is, and how to fill or empty it in a copy of the course's files.

A gap is the code between the course's markers `# START TODO ################` and
`# END TODO ################` inside one function. Its hint is the run of comment lines right after the
START marker; the rest is the solution. `fill_gap` puts other code in a gap (a student's solution, a
mistake), keeping the markers and the hint; `gap_solution` reads the solution a file's gap holds.
"""
from __future__ import annotations

import ast
import textwrap
from typing import Dict, List, NamedTuple, Tuple

START_MARKER = "# START TODO ################"
END_MARKER = "# END TODO ################"
NOT_IMPLEMENTED = "raise NotImplementedError"


class Gap(NamedTuple):
    """One gap: its file (relative to the repository root), the function that holds it, and which part of it."""
    file: str
    function: str  # "name" or "Class.method"
    part_of: str = ""  # e.g. "the MLP part" when the gap is only a part of the function


GAPS: Dict[str, Gap] = {  # the one table of the gaps: the handout, its checks and its tests read it
    "conv_output": Gap("lib/convolutions.py", "calculate_conv_output"),
    "pad_array": Gap("lib/convolution_warmup.py", "pad_array"),
    "single_filter": Gap("lib/convolution_warmup.py", "dot_product_single_filter"),
    "single_filter_batch": Gap("lib/convolution_warmup.py", "dot_product_single_filter_with_batches"),
    "multi_filter_batch": Gap("lib/convolution_warmup.py", "dot_product_multiple_filters_with_batches"),
    "conv_forward": Gap("lib/convolutions.py", "Conv2d.forward"),
    "conv_model": Gap("lib/experiments.py", "create_conv_model"),
    "shifted_mlp": Gap("lib/experiments.py", "run_shifted_conv_experiment", "the MLP part"),
    "shift_data": Gap("lib/experiments.py", "shift_data"),
}


class GapError(ValueError):
    """A function without exactly one well-formed gap, or a file without the function."""


def _function_lines(text: str, function: str) -> Tuple[int, int]:
    """The first and last line (0-based, inclusive) of `function` ("name" or "Class.method") in `text`."""
    body = ast.parse(text).body
    node = None
    for part in function.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            raise GapError(f"no {function} in the file")
        body = node.body
    return node.lineno - 1, node.end_lineno - 1


def gap_lines(text: str, function: str) -> Tuple[int, int, int, str]:
    """Where the gap of `function` is: (START line, first line after the hint, END line, indentation), 0-based.

    Raises:
        GapError: if the function has no gap, several, or markers of different indentation.
    """
    lines = text.splitlines()
    first, last = _function_lines(text, function)
    starts = [i for i in range(first, last + 1) if lines[i].strip() == START_MARKER]
    if len(starts) != 1:
        raise GapError(f"{function} must hold exactly one START TODO marker, found {len(starts)}")
    start = starts[0]
    # the END marker may follow the function's last statement (a gap that ends the function with a return)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() in (START_MARKER, END_MARKER)), None)
    if end is None or lines[end].strip() != END_MARKER:
        raise GapError(f"the START TODO marker of {function} (line {start + 1}) has no END TODO marker after it")
    indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
    if not lines[end].startswith(indent) or lines[end].strip() != lines[end][len(indent):]:
        raise GapError(f"the markers of {function} have different indentations")
    hint_end = start + 1
    while hint_end < end and lines[hint_end].strip().startswith("#"):
        hint_end += 1
    return start, hint_end, end, indent


def gap_solution(text: str, function: str) -> str:
    """The solution the gap of `function` holds: the lines after its hint, dedented, ending with a newline."""
    _, hint_end, end, _ = gap_lines(text, function)
    return textwrap.dedent("\n".join(text.splitlines()[hint_end:end])).strip("\n") + "\n"


def fill_gap(text: str, function: str, code: str) -> str:
    """`text` with the gap of `function` holding `code` (written at indentation 0) after its hint."""
    lines = text.splitlines(keepends=True)
    start, hint_end, end, indent = gap_lines(text, function)
    body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    return "".join(lines[:hint_end]) + body + "".join(lines[end:])


def empty_gap(text: str, function: str) -> str:
    """`text` with the gap of `function` as the handout has it: the hint, then `raise NotImplementedError`."""
    return fill_gap(text, function, NOT_IMPLEMENTED)


def gaps_in_file(file: str) -> List[str]:
    """The names of the gaps in `file` (a path relative to the repository root), in GAPS' order."""
    return [name for name, gap in GAPS.items() if gap.file == file]
