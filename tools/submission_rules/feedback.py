"""Rule 6: feedback.md answers the sheet's four questions (a bonus point), not the blank template.

The handout's feedback.md has one heading per question. Each question must have a heading that starts with it
(any level, any case, the "?" optional) and an answer: text with a letter or digit under the heading (up to the
next heading; HTML comments do not count) or after the question on the heading line. The duration must hold a
number of hours ("6", "5.5", "about 7 h").

Usage: `feedback.check(Repository(root))` -> RuleResult; `answers(text)` -> {question: answer}.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from tools.submission_rules.common import FAILED, PASSED, RuleResult, result, shorten
from tools.submission_rules.repository import Repository

KEY, TITLE = "feedback", "feedback.md"
FILE = "feedback.md"
QUESTIONS = ("Major problems?", "Helpful?", "Duration in hours?", "Other feedback?")
DURATION = "Duration in hours?"
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def answers(text: str) -> Dict[str, Optional[str]]:
    """{question: its answer ("" when unanswered), or None when no heading asks it}."""
    sections: List[Tuple[str, List[str]]] = []
    for line in _COMMENT.sub("", text).splitlines():
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1), []))
        elif sections:
            sections[-1][1].append(line)
    found: Dict[str, Optional[str]] = {}
    for question in QUESTIONS:
        key = _key(question)
        found[question] = None
        for title, body in sections:
            if _key(title).startswith(key):
                rest = title.strip()[len(question.rstrip("?")):].lstrip(" ?:-")
                found[question] = " ".join((rest + " " + " ".join(body)).split())
                break
    return found


def check(repo: Repository) -> RuleResult:
    """Check that feedback.md answers every question."""
    text = repo.text(FILE)
    if text is None:
        return result(KEY, TITLE, FAILED, f"{FILE} is missing (the handout ships it: answer its four questions)")
    found = answers(text)
    problems = []
    for question, answer in found.items():
        if answer is None:
            problems.append(f"{FILE}: no heading '{question}' (keep the template's headings)")
        elif not re.search(r"\w", answer):
            problems.append(f"{FILE}: '{question}' is not answered")
        elif question == DURATION and not _NUMBER.search(answer):
            problems.append(f"{FILE}: '{question}' needs a number of hours (e.g. 6 or 5.5), got "
                            f"'{shorten(answer, 40)}'")
    data = {"answers": found}
    if all(not answer for answer in found.values()):
        return result(KEY, TITLE, FAILED, "the blank template: answer its four questions", problems, **data)
    if problems:
        return result(KEY, TITLE, FAILED, f"{len(problems)} of the {len(QUESTIONS)} questions not answered as "
                                          f"asked", problems, **data)
    hours = _NUMBER.search(found[DURATION] or "")
    return result(KEY, TITLE, PASSED, f"all {len(QUESTIONS)} questions answered (duration: "
                                      f"{hours.group(0) if hours else '?'} h)", **data)
