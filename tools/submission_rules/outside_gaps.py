"""Rule 1: nothing changed outside the gaps. The submission's files are compared with the handout's record.

Every handout file is compared outside its gaps (the lines between a `# START TODO` and its `# END TODO` count as
one): a changed, added or removed line is listed as `file:line` with the line (`tools.submission_rules.record`
holds hashes only, so a removed line's text is shown where the handout folder is known, `--handout DIR`). Marker
problems are listed too: a marker removed or malformed, a gap the handout does not have, a gap now in another
function, a marker moved so that handout lines are inside the gap (START up, END down) or the gap's hint is
outside it (START down). A file the handout does not have is listed as added, one it has and the submission
lacks as removed. Whitespace-only changes (indentation, spaces inside a line, blank lines; line endings are not
compared) are listed apart and do not fail the rule. `feedback.md` is the team's to fill (rule 6) and
`submission.pdf` is theirs to add (rule 7).

Usage: `outside_gaps.check(record, Repository(root))` -> RuleResult.
"""
from __future__ import annotations

import difflib
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from tools.submission_rules.common import FAILED, PASSED, RuleResult, plural, result, shorten
from tools.submission_rules.record import (BLANK, GAP, RECORD_PATH, Record, file_digest, line_token,
                                           token_key, view, view_digest)
from tools.submission_rules.repository import Repository, SubmittedGap

KEY, TITLE = "outside_gaps", "changes outside the gaps"
TEAM_FILES = ("feedback.md",)  # changed by the team on purpose: checked by their own rules
NEW_FILES = ("submission.pdf",)
MAX_LINES = 20_000  # a longer file is no edited handout file: comparing it line by line would take minutes


class Finding(NamedTuple):
    """One difference: its kind ("marker", "change" or "whitespace"), where ("file:line" or "file"), what."""
    kind: str
    where: str
    what: str


def _shown(line: str) -> str:
    return f"`{shorten(line.strip(), 80)}`"


class _FileDiff:
    """The comparison of one text file's view outside the gaps with the record's."""

    def __init__(self, rel: str, entry: dict, record: Record, repo: Repository):
        self.rel = rel
        self.lines = repo.lines(rel)
        self.gaps, problems = repo.gaps(rel)
        self.findings = [Finding("marker", *problem.split(": ", 1)) for problem in problems]
        self.rec = entry["lines"].split()
        self.rec_gaps = [gap for gap in record.gaps if gap.file == rel]
        self.rec_text = record.texts.get(rel)
        self.sub = view(self.lines, [(gap.start, gap.end) for gap in self.gaps],
                        {gap.start for gap in self.gaps if not gap.closed})
        self.rec_line = self._record_lines()
        self.rec_gap_at = self._gap_index(self.rec)
        self.sub_gap_at = self._gap_index([item.token for item in self.sub])
        self.body_keys = [{token_key(line_token(line)) for line in self.lines[gap.start:gap.end - gap.closed]
                           if line.strip()} for gap in self.gaps]  # (a closed gap's END line is no body line)
        self.aligned: Dict[int, int] = {}  # a submitted gap's number -> the record's `*` index it stands for
        self.moved: Dict[Tuple[str, str], List[int]] = {}

    def _record_lines(self) -> List[int]:
        """The handout's line number of each record token (a gap's `*` stands for its hint and raise lines)."""
        numbers, line, gap = [], 1, 0
        for token in self.rec:
            numbers.append(line)
            if token == GAP:
                line += len(self.rec_gaps[gap].inside) if gap < len(self.rec_gaps) else 1
                gap += 1
            else:
                line += 1
        return numbers

    @staticmethod
    def _gap_index(tokens: Sequence[str]) -> Dict[int, int]:
        """{index of a `*` token: the gap's number in the file}."""
        return {index: number for number, index in enumerate(i for i, token in enumerate(tokens) if token == GAP)}

    def where(self, sub_index: int) -> str:
        line = self.sub[sub_index].line if sub_index < len(self.sub) else len(self.lines) + 1
        return f"{self.rel}:{line}"

    def rec_function(self, index: int) -> str:
        number = self.rec_gap_at.get(index)
        return self.rec_gaps[number].function if number is not None and number < len(self.rec_gaps) else "?"

    def compare(self) -> List[Finding]:
        keys = [token_key(token) for token in self.rec]
        sub_keys = [token_key(item.token) for item in self.sub]
        opcodes = difflib.SequenceMatcher(None, keys, sub_keys, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, _ in opcodes:
            if tag == "equal":
                self.aligned.update({self.sub_gap_at[j1 + k]: i1 + k for k in range(i2 - i1)
                                     if self.rec[i1 + k] == GAP})
        for tag, i1, i2, j1, j2 in opcodes:
            if tag == "equal":
                self.equal(i1, j1, i2 - i1)
            else:
                self.differ(list(range(i1, i2)), list(range(j1, j2)), j1)
        for (label, side), lines in sorted(self.moved.items()):
            what = "of the handout now inside the gap" if side == "inside" else "of its hint now outside the gap"
            self.findings.append(Finding("marker", f"{self.rel}:{lines[0]}",
                                         f"{label}: {plural(len(lines), 'line')} {what}"))
        return self.findings

    def equal(self, i1: int, j1: int, count: int) -> None:
        for k in range(count):
            token, item = self.rec[i1 + k], self.sub[j1 + k]
            if token == GAP:
                function = self.gaps[self.sub_gap_at[j1 + k]].function
                expected = self.rec_function(i1 + k)
                if function is not None and function != expected:
                    self.findings.append(Finding("marker", self.where(j1 + k), f"the gap of {expected} stands in "
                                                 f"{function or 'no function'} now (its markers moved)"))
            elif token != item.token:
                line = _shown(self.lines[item.line - 1]) if item.token[0] != BLANK else "a blank line"
                self.findings.append(Finding("whitespace", self.where(j1 + k), f"whitespace changed: {line}"))

    @staticmethod
    def _role(tokens: Sequence[str], index: int) -> str:
        """"START TODO" or "END TODO" for a marker line next to its gap's `*`, else ""."""
        if index + 1 < len(tokens) and tokens[index + 1] == GAP:
            return "START TODO"
        if index > 0 and tokens[index - 1] == GAP:
            return "END TODO"
        return ""

    def differ(self, rec_items: List[int], sub_items: List[int], j1: int) -> None:
        """Classify the record lines missing from the submission and the submission's lines the record lacks."""
        sub_tokens = [item.token for item in self.sub]
        removed, added, markers_gone = [], [], {}
        for index in rec_items:
            token, role = self.rec[index], self._role(self.rec, index)
            if token == GAP:
                self.findings.append(Finding("marker", self.where(j1), f"the gap of {self.rec_function(index)} "
                                             f"is gone (its markers removed or changed)"))
            elif role:
                star = index + 1 if role == "START TODO" else index - 1
                if star not in rec_items:
                    markers_gone[role] = self.rec_function(star)
            elif token[0] == BLANK:
                self.findings.append(Finding("whitespace", self.where(j1), "a blank line removed"))
            elif not self.swallowed(index):
                removed.append(index)
        for index in sub_items:
            item, role = self.sub[index], self._role(sub_tokens, index)
            if item.token == GAP:
                self.findings.append(Finding("marker", f"{self.rel}:{item.line - 1}", "a START TODO / END TODO "
                                             "pair the handout does not have"))
            elif role:
                star = index + 1 if role == "START TODO" else index - 1
                if star not in sub_items:
                    function = markers_gone.pop(role, None)
                    what = f"the {role} marker of {function} changed" if function else f"a {role} marker moved"
                    self.findings.append(Finding("marker", self.where(index),
                                                 f"{what}: {_shown(self.lines[item.line - 1])}"))
            elif item.token[0] == BLANK:
                self.findings.append(Finding("whitespace", self.where(index), "a blank line added"))
            elif not self.hint_outside(index):
                added.append(index)
        for role, function in markers_gone.items():
            self.findings.append(Finding("marker", self.where(j1), f"the {role} marker of {function} removed"))
        for k in range(max(len(removed), len(added))):
            if k < len(added):
                what = "changed" if k < len(removed) else "added"
                was = f" (was {_shown(self.rec_text[self.rec_line[removed[k]] - 1])})" \
                    if k < len(removed) and self.rec_text else ""
                self.findings.append(Finding("change", self.where(added[k]),
                                             f"{what}: {_shown(self.lines[self.sub[added[k]].line - 1])}{was}"))
            else:
                line = self.rec_line[removed[k]]
                text = f": {_shown(self.rec_text[line - 1])}" if self.rec_text else ""
                self.findings.append(Finding("change", self.where(j1 + len(sub_items)),
                                             f"removed the handout's line {line}{text}"))

    def swallowed(self, index: int) -> bool:
        """Whether a record line missing outside the gaps stands inside a gap: its marker moved over it (or a gap
        the handout does not have holds it)."""
        key = token_key(self.rec[index])
        for number, keys in enumerate(self.body_keys):
            if key in keys:
                gap: SubmittedGap = self.gaps[number]
                star = self.aligned.get(number)
                if not gap.closed:  # a START without its END: that problem is reported already
                    return True
                if star is None:
                    label = (f"the added gap at line {gap.start}", "inside")
                    self.moved.setdefault(label, []).append(gap.start)
                elif index < star:
                    label = (f"START TODO of {self.rec_function(star)} moved up", "inside")
                    self.moved.setdefault(label, []).append(gap.start)
                else:
                    label = (f"END TODO of {self.rec_function(star)} moved down", "inside")
                    self.moved.setdefault(label, []).append(gap.end)
                return True
        return False

    def hint_outside(self, index: int) -> bool:
        """Whether a line added outside the gaps, right before a START marker, is that gap's own hint: the marker
        moved down over it."""
        hints = {}
        for gap in self.rec_gaps:
            hints.update({token_key(token): gap.function for token in gap.inside})
        sub_tokens = [item.token for item in self.sub]
        after = index
        while after < len(self.sub) and (token_key(sub_tokens[after]) in hints or sub_tokens[after][0] == BLANK):
            after += 1
        key = token_key(sub_tokens[index])
        if key not in hints or after == len(self.sub) or self._role(sub_tokens, after) != "START TODO":
            return False
        self.moved.setdefault((f"START TODO of {hints[key]} moved down", "outside"), []).append(self.sub[index].line)
        return True


def _file_findings(rel: str, entry: dict, record: Record, repo: Repository) -> List[Finding]:
    content = repo.read_bytes(rel)
    if content is None:
        return [Finding("change", rel, "removed (the handout has this file)")]
    if "lines" not in entry:
        if file_digest(content) != entry.get("sha256"):
            return [Finding("change", rel, f"changed (a binary file: {len(content)} bytes, the handout's "
                                           f"{entry.get('bytes', '?')})")]
        return []
    gaps = repo.gaps(rel)[0]
    spans, open_gaps = [(gap.start, gap.end) for gap in gaps], {gap.start for gap in gaps if not gap.closed}
    if view_digest(repo.lines(rel), spans, open_gaps) == entry.get("sha256"):
        return [Finding("marker", *problem.split(": ", 1)) for problem in repo.gaps(rel)[1]]
    if len(repo.lines(rel)) > MAX_LINES:
        return [Finding("change", rel, f"changed ({len(repo.lines(rel))} lines: too long to compare line by line)")]
    findings = _FileDiff(rel, entry, record, repo).compare()
    if not findings:
        findings = [Finding("whitespace", rel, "whitespace changed (not located to a line)")]
    return findings


def check(record: Record, repo: Repository, shipped_record: Optional[bytes] = None) -> RuleResult:
    """Compare the submission with the record.

    Args:
        record: the handout's record.
        repo: the submission.
        shipped_record: the record the handout shipped, when `record` was read elsewhere (a handout folder): the
            submission's copy must equal it.
    """
    findings: List[Finding] = []
    for rel in sorted(record.files):
        if rel not in TEAM_FILES:
            findings += _file_findings(rel, record.files[rel], record, repo)
    known: Set[str] = set(record.files) | set(NEW_FILES) | {RECORD_PATH}
    findings += [Finding("change", rel, "added (the handout has no such file)") for rel in repo.files
                 if rel not in known]
    if shipped_record is not None:
        copy = repo.read_bytes(RECORD_PATH)
        if copy is None:
            findings.append(Finding("change", RECORD_PATH, "removed (the handout has this file)"))
        elif file_digest(copy) != file_digest(shipped_record):
            findings.append(Finding("change", RECORD_PATH, f"changed (it differs from {record.source}'s)"))
    return summarize(findings, record)


def summarize(findings: List[Finding], record: Record) -> RuleResult:
    """The rule's result from its findings: markers first, then changes, whitespace-only ones apart."""
    by_kind = {kind: [f"{f.where}: {f.what}" for f in findings if f.kind == kind]
               for kind in ("marker", "change", "whitespace")}
    spaces = by_kind["whitespace"]
    apart = f"; {plural(len(spaces), 'whitespace-only change')} (listed apart, not counted)" if spaces else ""
    details = by_kind["marker"] + by_kind["change"] + [f"(whitespace only) {line}" for line in spaces]
    data = {"markers": by_kind["marker"], "changes": by_kind["change"], "whitespace_only": spaces,
            "record": record.source}
    if by_kind["marker"] or by_kind["change"]:
        files = {f.where.split(":")[0] for f in findings if f.kind != "whitespace"}
        parts = [plural(len(by_kind["change"]), "change")] if by_kind["change"] else []
        parts += [plural(len(by_kind["marker"]), "marker problem")] if by_kind["marker"] else []
        return result(KEY, TITLE, FAILED, f"{' and '.join(parts)} in {plural(len(files), 'file')}{apart}",
                      details, **data)
    return result(KEY, TITLE, PASSED, f"none (compared with {record.source}){apart}", details, **data)
