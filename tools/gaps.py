"""The exercise's nine gaps: where each one is, which of them a file holds, and how to fill or empty one.

A gap is the code between the course's markers `# START TODO ################` and
`# END TODO ################` inside one function, read with the one marker parser (`tools.markers`:
markers are comment-only lines, a malformed one is an error naming file:line). Its hint is the run of
comment lines right after the START marker; the rest is the solution, and the END marker may follow the
function's last statement. `fill_gap` puts other code in a gap (a student's solution, a mistake), keeping
the markers and the hint; `gap_solution` reads the solution a file's gap holds; `locate_gaps` names each
gap of a file after GAPS.
"""
from __future__ import annotations

import textwrap
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from tools import markers
from tools.markers import NOT_IMPLEMENTED, HandoutError


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
    """A function without exactly one gap, a file without the function, or a malformed marker (file:line)."""


class LocatedGap(NamedTuple):
    """A gap of a handout file: its name in GAPS (None if it is none of them), file, function and markers."""
    name: Optional[str]
    file: str
    function: str
    gap: markers.Gap


def gap_lines(text: str, function: str, filename: str = "<text>") -> Tuple[int, int, int, str]:
    """Where the gap of `function` is: (START line, first line after the hint, END line, indentation), 0-based.

    Args:
        text: a Python source with the course's markers.
        function: "name" or "Class.method"; its gap is the one whose START marker it holds.
        filename: the name errors give the source.

    Raises:
        GapError: if the function is not in the text or holds no gap or several, or for a malformed marker
            anywhere in the text (`tools.markers.parse_markers`, naming file:line).
    """
    try:
        gaps, _ = markers.parse_markers(text, filename)
        ranges = markers.function_ranges(markers.parse_python(text, filename))
    except HandoutError as error:
        raise GapError(str(error)) from None
    if not any(name == function for name, _, _ in ranges):
        raise GapError(f"no {function} in the file")
    held = [gap for gap in gaps if markers.enclosing_function(ranges, gap.start) == function]
    if len(held) != 1:
        raise GapError(f"{function} must hold exactly one START TODO marker, found {len(held)}")
    gap = held[0]
    return gap.start - 1, gap.start + len(gap.hint), gap.end - 1, gap.indent


def gap_solution(text: str, function: str, filename: str = "<text>") -> str:
    """The solution the gap of `function` holds: the lines after its hint, dedented, ending with a newline."""
    _, hint_end, end, _ = gap_lines(text, function, filename)
    lines = [line.rstrip("\r\n") for line in markers.source_lines(text)]
    return textwrap.dedent("\n".join(lines[hint_end:end])).strip("\n") + "\n"


def fill_gap(text: str, function: str, code: str, filename: str = "<text>") -> str:
    """`text` with the gap of `function` holding `code` (written at indentation 0) after its hint."""
    lines = markers.source_lines(text)
    _, hint_end, end, indent = gap_lines(text, function, filename)
    body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    return "".join(lines[:hint_end]) + body + "".join(lines[end:])


def empty_gap(text: str, function: str, filename: str = "<text>") -> str:
    """`text` with the gap of `function` as the handout has it: the hint, then `raise NotImplementedError`."""
    return fill_gap(text, function, NOT_IMPLEMENTED, filename)


def gaps_in_file(file: str) -> List[str]:
    """The names of the gaps in `file` (a path relative to the repository root), in GAPS' order."""
    return [name for name, gap in GAPS.items() if gap.file == file]


def name_gaps(filename: str, held: Sequence[Tuple[markers.Gap, str, int]]) -> List[LocatedGap]:
    """The gaps of `markers.transform`'s list (gap, function, line) of `filename`, named after GAPS."""
    names = {(gap.file, gap.function): name for name, gap in GAPS.items()}
    return [LocatedGap(names.get((filename, function)), filename, function, gap) for gap, function, _ in held]


def locate_gaps(text: str, filename: str = "<text>") -> List[LocatedGap]:
    """The gaps of a source with the function each stands in and its name in GAPS (None if none fits).

    Raises:
        HandoutError: as `tools.markers.strip_text`.
    """
    return name_gaps(filename, markers.transform(text, filename)[1])
