"""Rule 7: submission.pdf is there, is a PDF, and its first page names the team.

A PDF starts with `%PDF-` (within its first 1024 bytes) and ends with `%%EOF` (within its last 1024: a truncated
upload lacks it). The first page's text, read with poppler's `pdftotext -l 1`, must name the team: no template
placeholder left (the reference's submission/team.tex has "Name One" and "Matriculation no. 0000000"; also
"Your Name", "Firstname Lastname", "<name>", "[Matriculation number]", "XXXX", "TODO") and at least one
matriculation number (5 to 8 digits, not one digit repeated). Without pdftotext, or for a first page with no text
(a scan), that part is not checked and the report says why.

Usage: `pdf.check(Repository(root))` -> RuleResult.
"""
from __future__ import annotations

import re
import shutil
from typing import List, Optional

from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED, RuleResult, first_line, plural, result, \
    run_command
from tools.submission_rules.repository import Repository

KEY, TITLE = "pdf", "submission.pdf"
FILE = "submission.pdf"
TIMEOUT_S = 30
PLACEHOLDERS = (r"\bname (?:one|two|three|four|\d)\b", r"\b(\d)\1{4,}\b", r"\byour\s+name\b",
                r"\bfirst\s*name\s+last\s*name\b", r"\bname\s+surname\b", r"<\s*(?:name|matriculation)[^>]*>",
                r"\[\s*(?:name|matriculation)[^\]]*\]", r"\bX{4,}\b", r"\bTODO\b", r"\bmax mustermann\b")
_MATRICULATION = re.compile(r"(?<!\d)(\d{5,8})(?!\d)")


def pdftotext() -> Optional[str]:
    """The pdftotext program, or None where poppler-utils is not installed."""
    return shutil.which("pdftotext")


def placeholders(text: str) -> List[str]:
    """The template placeholders left in a page's text."""
    found = []
    for pattern in PLACEHOLDERS:
        found += [match.group(0) for match in re.finditer(pattern, text, re.IGNORECASE)]
    return sorted(set(found), key=found.index)


def matriculation_numbers(text: str) -> List[str]:
    """The numbers on a page that look like matriculation numbers (5 to 8 digits, not one digit repeated)."""
    return [number for number in _MATRICULATION.findall(text) if len(set(number)) > 1]


def check(repo: Repository) -> RuleResult:
    """Check submission.pdf (see the module docstring)."""
    content = repo.read_bytes(FILE)
    if content is None:
        return result(KEY, TITLE, FAILED, f"{FILE} is missing (the sheet asks for it in the repository's root)")
    if b"%PDF-" not in content[:1024]:
        return result(KEY, TITLE, FAILED, f"not a PDF: it does not start with %PDF- (starts with {content[:8]!r})")
    if b"%%EOF" not in content[-1024:]:
        return result(KEY, TITLE, FAILED, "not a complete PDF: no %%EOF at its end (a truncated upload?)")
    program = pdftotext()
    if program is None:
        return result(KEY, TITLE, NOT_CHECKED, "a PDF, but its first page was not read: pdftotext is not installed "
                                               "(poppler-utils)", pdf=True, first_page=None)
    done = run_command([program, "-l", "1", "-enc", "UTF-8", FILE, "-"], str(repo.root), TIMEOUT_S)
    if done.code != 0:
        why = "ran past its time limit" if done.code is None else first_line(done.stderr) or f"status {done.code}"
        return result(KEY, TITLE, FAILED, f"pdftotext cannot read it ({why})", pdf=True, first_page=None)
    page = done.stdout
    if not page.strip():
        return result(KEY, TITLE, NOT_CHECKED, "a PDF, but its first page holds no text (a scan?): check the names "
                                               "by eye", pdf=True, first_page="")
    left, numbers = placeholders(page), matriculation_numbers(page)
    data = {"pdf": True, "first_page": page[:2000], "placeholders": left, "matriculation_numbers": numbers}
    if left:
        return result(KEY, TITLE, FAILED, f"the first page still holds template placeholders: "
                                          f"{', '.join(repr(text) for text in left[:4])}", **data)
    if not numbers:
        return result(KEY, TITLE, FAILED, "the first page names no matriculation number", **data)
    return result(KEY, TITLE, PASSED, f"a PDF whose first page names the team "
                                      f"({plural(len(numbers), 'matriculation number')})", **data)
