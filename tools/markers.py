"""The course's markers in a Python source, and the handout's version of that source.

The one parser of the markers: `# START TODO ################` ... `# END TODO ################` around a gap
(its hint is the run of comment lines right after START) and `# BEGIN REFERENCE ONLY ################` ...
`# END REFERENCE ONLY ################` around code only the reference has. Markers are comment-only lines
(text inside a string is never one), and every malformed marker is a `HandoutError` naming file:line.
`strip_text` gives the handout's text of a source: each gap keeps its START line, its hint and its END line
and its solution becomes `raise NotImplementedError`; each reference-only region is dropped with its markers.
`tools.gaps` finds and fills one function's gap with the same parser.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

# What the checker of submissions (shipped in the handout) and this parser share: how a line's function is named.
from tools.submission_rules.gap_markers import enclosing_function, function_ranges, source_lines  # noqa: F401

NOT_IMPLEMENTED = "raise NotImplementedError"  # what a gap of the handout holds after its hint

_OPENS = {"START TODO": "END TODO", "BEGIN REFERENCE ONLY": "END REFERENCE ONLY"}
_MARKER = re.compile(r"# (START TODO|END TODO|BEGIN REFERENCE ONLY|END REFERENCE ONLY)(?: #+)?")
_MARKER_LIKE = re.compile(r"#+\s*(START\s*TODO|END\s*TODO|BEGIN\s*REFERENCE\s*ONLY|END\s*REFERENCE\s*ONLY)\b",
                          re.IGNORECASE)


class HandoutError(ValueError):
    """A source the handout is made from is malformed or missing; the message names file:line."""


class Gap(NamedTuple):
    """A gap: the lines (1-based) of its START and END markers, the markers' indentation, its hint lines."""
    start: int
    end: int
    indent: str
    hint: Tuple[str, ...]


class Region(NamedTuple):
    """A reference-only region: the lines (1-based) of its BEGIN and END markers."""
    start: int
    end: int


# ---------------------------------------------------------------- reading a source

def _comment_lines(text: str, filename: str) -> Dict[int, str]:
    """{line number: comment} for the lines that hold nothing but a comment (never text inside a string)."""
    comments = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip():
                comments[token.start[0]] = token.string.rstrip()
    except (tokenize.TokenError, SyntaxError) as error:
        parse_python(text, filename)  # names the line of the syntax error, where the tokenizer names the end
        line = getattr(error, "lineno", None) or error.args[1][0]
        raise HandoutError(f"{filename}:{line}: cannot be read as Python ({error.args[0]})") from None
    return comments


def parse_python(text: str, filename: str, origin: Optional[List[int]] = None, blocks: Sequence[int] = ()) -> ast.AST:
    """The source's syntax tree. A syntax error names the line; in a handout text (`origin`: the reference's
    line of each of its lines) the reference's line, and the gap or region (`blocks`: their lines) before it."""
    try:
        return ast.parse(text, filename)
    except SyntaxError as error:
        line = error.lineno or 1
        if origin is None:
            raise HandoutError(f"{filename}:{line}: not valid Python ({error.msg})") from None
        line = origin[min(line, len(origin)) - 1]
        near = max((start for start in blocks if start <= line), default=None)
        check = f"check the markers at line {near}" if near else "check the markers"
        raise HandoutError(f"{filename}:{line}: the handout's version of this file does not compile "
                           f"({error.msg}); {check}") from None


# ---------------------------------------------------------------- the markers

def parse_markers(text: str, filename: str = "<text>") -> Tuple[List[Gap], List[Region]]:
    """The gaps and reference-only regions of a Python source, checked.

    Markers are comment-only lines; a comment that starts like one but is not written exactly as the
    template writes it (`# START TODO` with optional ` ####...`) is an error, so no solution leaks
    through a typo.

    Raises:
        HandoutError: `<filename>:<line>: <what>` for a malformed marker, an opening marker without its
            end, nested markers (a reference-only region inside a gap included), or an end marker with
            another indentation than its opening one.
    """
    lines = [line.rstrip("\r\n") for line in source_lines(text)]
    comments = _comment_lines(text, filename)
    gaps, regions = [], []
    opened: Optional[Tuple[str, int, str]] = None  # (marker, line, indent)
    for number in sorted(comments):
        comment = comments[number]
        if not _MARKER_LIKE.match(comment):
            continue
        match = _MARKER.fullmatch(comment)
        if not match:
            raise HandoutError(f"{filename}:{number}: malformed marker {comment!r} (write it as "
                               f"'# START TODO ################', '# END TODO ################', "
                               f"'# BEGIN REFERENCE ONLY ################' or '# END REFERENCE ONLY ################')")
        marker, indent = match.group(1), lines[number - 1][:len(lines[number - 1]) - len(lines[number - 1].lstrip())]
        if marker in _OPENS:
            if opened is not None:
                what = "a reference-only region inside a gap" if opened[0] == "START TODO" and \
                    marker.startswith("BEGIN") else "nested markers"
                raise HandoutError(f"{filename}:{number}: {what}: {marker} before the {_OPENS[opened[0]]} "
                                   f"of the {opened[0]} at line {opened[1]}")
            opened = (marker, number, indent)
            continue
        if opened is None or _OPENS[opened[0]] != marker:
            expected = [start for start, end in _OPENS.items() if end == marker][0]
            after = f" (the {opened[0]} at line {opened[1]} is still open)" if opened else ""
            raise HandoutError(f"{filename}:{number}: {marker} without a {expected} before it{after}")
        if indent != opened[2]:
            raise HandoutError(f"{filename}:{number}: {marker} is indented differently from the {opened[0]} "
                               f"at line {opened[1]} ({len(indent)} and {len(opened[2])} columns)")
        if marker == "END TODO":
            hint = []
            for line in range(opened[1] + 1, number):
                if line not in comments or _MARKER_LIKE.match(comments[line]):
                    break
                hint.append(lines[line - 1])
            gaps.append(Gap(opened[1], number, indent, tuple(hint)))
        else:
            regions.append(Region(opened[1], number))
        opened = None
    if opened is not None:
        raise HandoutError(f"{filename}:{opened[1]}: {opened[0]} without {_OPENS[opened[0]]}")
    return gaps, regions


def find_gaps(text: str, filename: str = "<text>") -> List[Gap]:
    """The gaps of a Python source as (start_line, end_line, indent, hint_lines), checked as `parse_markers`."""
    return parse_markers(text, filename)[0]


# ---------------------------------------------------------------- the handout's version of a source

def _is_blank(line: str) -> bool:
    return not line.strip()


def _close_seam(out: List[str], origin: List[int], seam: int) -> None:
    """Where a region was dropped, leave one run of blank lines, not the two that stood around it."""
    before = 0
    while seam - before > 0 and _is_blank(out[seam - before - 1]):
        before += 1
    after = 0
    while seam + after < len(out) and _is_blank(out[seam + after]):
        after += 1
    if seam + after == len(out) or seam - before == 0:  # at the end or the start of the file: no blank lines
        drop = range(seam - before, seam + after)
    else:
        drop = range(seam, seam + min(before, after))
    for index in reversed(drop):
        del out[index], origin[index]


def transform(text: str, filename: str) -> Tuple[str, List[Tuple[Gap, str, int]]]:
    """The handout's text of a source, and each gap with its function and its `raise` line (1-based) there.

    Raises:
        HandoutError: as `strip_text`.
    """
    gaps, regions = parse_markers(text, filename)
    if not gaps and not regions:
        return text, []
    ranges = function_ranges(parse_python(text, filename))
    lines = source_lines(text)
    starts = {gap.start: gap for gap in gaps}
    starts.update({region.start: region for region in regions})
    out: List[str] = []
    origin: List[int] = []  # the reference's line number of every line of `out`
    seams, raises = [], []
    number = 1
    while number <= len(lines):
        block = starts.get(number)
        if block is None:
            out.append(lines[number - 1])
            origin.append(number)
            number += 1
            continue
        if isinstance(block, Gap):
            function = enclosing_function(ranges, block.start)
            if function is None:
                raise HandoutError(f"{filename}:{block.start}: a gap outside any function (the handout would "
                                   f"raise NotImplementedError on import)")
            ending = lines[block.start - 1][len(lines[block.start - 1].rstrip("\r\n")):] or "\n"
            kept = [lines[block.start - 1]] + [lines[block.start + k] for k in range(len(block.hint))]
            kept.append(f"{block.indent}{NOT_IMPLEMENTED}{ending}")
            kept.append(lines[block.end - 1])
            out += kept
            origin += [block.start] * len(kept)
            raises.append((block, function, len(out) - 1))
        else:
            seams.append(len(out))
        number = block.end + 1
    for seam in reversed(seams):
        shift = len(out)
        _close_seam(out, origin, seam)
        raises = [(gap, function, line - (shift - len(out)) if line > seam else line)
                  for gap, function, line in raises]
    handout = "".join(out)
    handout_ranges = function_ranges(parse_python(handout, filename, origin, sorted(starts)))
    for gap, function, line in raises:
        if enclosing_function(handout_ranges, line) != function:
            raise HandoutError(f"{filename}:{gap.start}: the gap's raise NotImplementedError would not stand in "
                               f"{function} (indent the markers as the function's body)")
    return handout, raises


def strip_text(text: str, filename: str = "<text>") -> str:
    """The handout's version of a Python source: gaps reduced to START, hint, `raise NotImplementedError`,
    END; reference-only regions dropped (one run of blank lines left where one stood).

    Raises:
        HandoutError: for malformed markers (see `parse_markers`), a gap outside a function, or a result
            that does not compile (naming the reference's line).
    """
    return transform(text, filename)[0]
