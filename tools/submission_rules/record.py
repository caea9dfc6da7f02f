"""The handout's record of what it shipped outside the gaps (`.handout/manifest.json`), and how lines become tokens.

`python -m tools.make_handout` writes the record into every handout; `python -m tools.check_submission` compares a
submission with it (or with a handout folder, `record_of_handout`, which gives the same record). For each file:
* a text file (UTF-8, no NUL byte): one token per line, the gaps' contents (everything between a `# START TODO`
  and its `# END TODO`) collapsed to one `*` token, and a digest of that text; a line's token is 6 hex digits of
  the SHA-256 of the line without its whitespace and 3 of the line as it is (a blank line: `-`, plus those 3
  digits when it holds spaces), so a comparison finds changed lines and tells whitespace-only ones apart;
* any other file: its SHA-256 and size.
It also lists every gap (file, function, the START marker's line, the tokens of its hint and
`raise NotImplementedError`) and the graded parts of the Classroom workflow (name, command, points). Line endings
are not recorded (a checkout with CRLF endings is the same submission). The JSON is written with sorted keys, no
time and no path outside the handout, so the same handout gives the same bytes.

Usage: `build_record(files, parts)` -> bytes (tools.make_handout); `read_record(path, source)` or
`record_of_handout(folder, list_files)` -> Record (tools.check_submission).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import AbstractSet, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from tools.submission_rules.gap_markers import find_gaps, source_lines

RECORD_PATH = ".handout/manifest.json"
WORKFLOW_PATH = ".github/workflows/classroom.yml"
FORMAT = 1
ABOUT = ("What this handout shipped outside the gaps: python -m tools.check_submission compares a submission "
         "with it. Leave this file as it is.")
BLANK, GAP = "-", "*"
NORMALIZED_DIGITS, EXACT_DIGITS = 6, 3


class RecordError(ValueError):
    """A handout record or handout folder that cannot be read; the message is one line."""


class RecordedGap(NamedTuple):
    """A gap of the handout: its file, function ("Class.method"), START line and the tokens between its markers."""
    file: str
    function: str
    line: int
    inside: Tuple[str, ...]


class Part(NamedTuple):
    """A graded part of the Classroom workflow: the step's test name, its command and its points."""
    name: str
    command: str
    points: int


class Record(NamedTuple):
    """A handout record read back: per file its entry, the gaps, the graded parts, where it came from, its bytes,
    and the handout's lines where they are known (a handout folder), to show a removed line's text."""
    files: Dict[str, dict]
    gaps: List[RecordedGap]
    parts: List[Part]
    source: str
    raw: bytes
    texts: Dict[str, List[str]]


class ViewLine(NamedTuple):
    """One token of a file's view outside the gaps and the line (1-based) it stands for."""
    token: str
    line: int


# ---------------------------------------------------------------- lines and tokens

def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def as_text(content: bytes) -> Optional[str]:
    """The content as text if it is UTF-8 without NUL bytes, else None (a binary file)."""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def text_lines(text: str) -> List[str]:
    """The lines of a text without their endings ("\\n" or "\\r\\n"), split where the tokenizer splits."""
    lines = []
    for line in source_lines(text):
        line = line[:-1] if line.endswith("\n") else line
        lines.append(line[:-1] if line.endswith("\r") else line)
    return lines


def line_token(line: str) -> str:
    """The token of one line (see the module docstring)."""
    exact = _digest(line)[:EXACT_DIGITS]
    if not line.strip():
        return BLANK + (exact if line else "")
    return _digest("".join(line.split()))[:NORMALIZED_DIGITS] + exact


def token_key(token: str) -> str:
    """What a comparison aligns lines on: the token without its whitespace part."""
    return token[:1] if token[:1] in (BLANK, GAP) else token[:NORMALIZED_DIGITS]


def _outside(lines: Sequence[str], gaps: Sequence[Tuple[int, int]],
             open_gaps: AbstractSet[int] = frozenset()) -> List[Tuple[int, Optional[str]]]:
    """(line, text) of each line outside the gaps (START, END lines), a gap's contents one (first line, None);
    a gap whose START line is in `open_gaps` has no END line (its contents run to `end`, included)."""
    ends = dict(gaps)
    out: List[Tuple[int, Optional[str]]] = []
    number = 1
    while number <= len(lines):
        out.append((number, lines[number - 1]))
        end = ends.get(number, 0)
        if number < end <= len(lines):
            out.append((number + 1, None))
            if number not in open_gaps:
                out.append((end, lines[end - 1]))
            number = end
        number += 1
    return out


def view(lines: Sequence[str], gaps: Sequence[Tuple[int, int]],
         open_gaps: AbstractSet[int] = frozenset()) -> List[ViewLine]:
    """A file's tokens outside the gaps: each gap's lines between its markers (START, END lines) become one `*`."""
    return [ViewLine(GAP if text is None else line_token(text), number)
            for number, text in _outside(lines, gaps, open_gaps)]


def view_digest(lines: Sequence[str], gaps: Sequence[Tuple[int, int]],
                open_gaps: AbstractSet[int] = frozenset()) -> str:
    """A digest of a file's text outside the gaps (each gap's contents one `*` line), line endings left out."""
    return _digest("\n".join(GAP if text is None else text for _, text in _outside(lines, gaps, open_gaps)))[:16]


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# ---------------------------------------------------------------- writing and reading

def build_record(files: Mapping[str, bytes], parts: Sequence[Part]) -> bytes:
    """The record of a handout given as {relative path: content} (the record itself is left out) and its parts.

    Raises:
        RecordError: for a Python file with malformed markers (naming file:line).
    """
    entries: Dict[str, dict] = {}
    gaps: List[dict] = []
    for rel in sorted(files):
        if rel == RECORD_PATH:
            continue
        text = as_text(files[rel])
        if text is None:
            entries[rel] = {"bytes": len(files[rel]), "sha256": file_digest(files[rel])}
            continue
        lines = text_lines(text)
        held: List[Tuple[int, int]] = []
        if rel.endswith(".py"):
            found, problems = find_gaps(text, rel)
            if problems:
                raise RecordError(problems[0])
            for gap in found:
                gaps.append({"file": rel, "function": gap.function or "", "line": gap.start,
                             "inside": " ".join(map(line_token, lines[gap.start:gap.end - 1]))})
                held.append((gap.start, gap.end))
        entries[rel] = {"lines": " ".join(item.token for item in view(lines, held)),
                        "sha256": view_digest(lines, held)}
    data = {"about": ABOUT, "format": FORMAT, "files": entries, "gaps": gaps,
            "graded_parts": [{"name": p.name, "command": p.command, "points": p.points} for p in parts]}
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("ascii")


def parse_record(raw: bytes, source: str, texts: Optional[Dict[str, List[str]]] = None) -> Record:
    """Read a record's bytes (`source` names it in errors and reports).

    Raises:
        RecordError: if it is not JSON or not a record of this format.
    """
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format') if isinstance(data, dict) else None!r}, expected {FORMAT}")
        files = data["files"]
        gaps = [RecordedGap(g["file"], g["function"], int(g["line"]), tuple(g["inside"].split()))
                for g in data["gaps"]]
        parts = [Part(str(p["name"]), str(p["command"]), int(p["points"])) for p in data["graded_parts"]]
        if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
            raise ValueError("'files' must map paths to entries")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise RecordError(f"{source}: not a handout record ({error})") from None
    return Record(files, gaps, parts, source, raw, texts or {})


def read_record(path: Path, source: str) -> Record:
    """Read the record file at `path`.

    Raises:
        RecordError: if it cannot be read or is not a record.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise RecordError(f"{source}: cannot be read ({error.strerror or error})") from None
    return parse_record(raw, source)


def record_of_files(files: Mapping[str, bytes], parts: Sequence[Part], source: str) -> Record:
    """The record of a handout given as {relative path: content}, read back with the handout's text lines."""
    texts = {}
    for rel, content in files.items():
        text = as_text(content)
        if text is not None:
            texts[rel] = text_lines(text)
    try:
        raw = build_record(files, parts)
    except RecordError as error:
        raise RecordError(f"{source}: {error}") from None
    return parse_record(raw, source, texts)


def record_of_handout(folder: Path, list_files) -> Record:
    """The record of the handout in `folder` (what `build_record` gives for its files, its workflow's parts).

    Args:
        folder: a handout folder (as `python -m tools.make_handout` writes it; a clone of it is fine).
        list_files: a function giving the relative paths of a folder's files (the submission's walk).

    Raises:
        RecordError: if it is no folder or has no Classroom workflow that can be read.
    """
    from tools.autograde import AutogradingConfigError, load_workflow  # the workflow reader Classroom's steps need

    folder = Path(folder)
    if not folder.is_dir():
        raise RecordError(f"--handout {folder}: no such folder")
    try:
        entries = load_workflow(folder / WORKFLOW_PATH)
    except AutogradingConfigError as error:
        raise RecordError(f"--handout {folder}: {error}") from None
    parts = [Part(entry.name, entry.run, int(entry.points)) for entry in entries]
    files = {rel: (folder / rel).read_bytes() for rel in list_files(folder) if rel != RECORD_PATH}
    return record_of_files(files, parts, f"the handout folder {folder}")
