"""The reports of `python -m tools.check_submission`: one screen for a repository, JSON, and CSV for a class.

The screen: a line per rule (`[passed]`, `[FAILED]` or `[not checked]`, its title and summary) with its first
details under it, then the test count and the verdict. JSON holds everything each rule found. CSV has one row per
repository: its error (the check could not run), the verdict, each rule's status and summary, the tests passed
and total, the points.

Usage: `render_screen(report)`, `as_json(report)`, `render_csv(reports)`.
"""
from __future__ import annotations

import csv
import io
from typing import Dict, List, NamedTuple, Sequence

from tools.submission_rules import feedback, graded_tests, loops, outside_gaps, pdf, python38, style
from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED, RuleResult, shorten

RULES = ((outside_gaps.KEY, outside_gaps.TITLE), (loops.KEY, loops.TITLE), (style.KEY, style.TITLE),
         (python38.KEY, python38.TITLE), (graded_tests.KEY, graded_tests.TITLE), (feedback.KEY, feedback.TITLE),
         (pdf.KEY, pdf.TITLE))
SHOWN_DETAILS = 5  # per rule, on the screen (every graded part)
LABELS = {PASSED: "[passed]", FAILED: "[FAILED]", NOT_CHECKED: "[not checked]"}


class Report(NamedTuple):
    """One repository's results: its path, the error that stopped the check ("" if none), the rules, seconds."""
    repository: str
    error: str
    rules: List[RuleResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.error and all(rule.status == PASSED for rule in self.rules)


def tests_line(report: Report) -> str:
    """"Tests: 131/131 passed, 9/9 points" (from the tests rule)."""
    rule = next((rule for rule in report.rules if rule.key == graded_tests.KEY), None)
    if rule is None or "total" not in rule.data:
        return "Tests: not run"
    data = rule.data
    return f"Tests: {data['passed']}/{data['total']} passed, {data['points']}/{data['max_points']} points"


def render_screen(report: Report) -> str:
    """The one-screen report: a line per rule (with its first details), the test count, the verdict."""
    if report.error:
        return f"error: {report.repository}: {report.error}"
    lines = [f"Submission check of {report.repository}"]
    for rule in report.rules:
        lines.append(f"{LABELS[rule.status]} {rule.title}: {rule.summary}")
        lines += [f"    {shorten(detail, 112)}" for detail in rule.details[:SHOWN_DETAILS]]
        if len(rule.details) > SHOWN_DETAILS:
            lines.append(f"    ... and {len(rule.details) - SHOWN_DETAILS} more (--json lists every one)")
    counts = {status: sum(1 for rule in report.rules if rule.status == status) for status in LABELS}
    verdict = "every rule passed" if report.passed else \
        f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[NOT_CHECKED]} not checked"
    lines.append(f"{tests_line(report)}. Rules: {verdict} ({report.seconds:.1f} s).")
    return "\n".join(lines)


def as_json(report: Report) -> dict:
    return {"repository": report.repository, "error": report.error or None, "passed": report.passed,
            "seconds": round(report.seconds, 1),
            "rules": {rule.key: {"title": rule.title, "status": rule.status, "summary": rule.summary,
                                 "details": rule.details, **rule.data} for rule in report.rules}}


CSV_COLUMNS = ["repository", "error", "passed"] + [name for key, _ in RULES for name in (key, f"{key}_reason")] + \
    ["tests_passed", "tests_total", "points", "max_points", "seconds"]


def render_csv(reports: Sequence[Report]) -> str:
    """One row per repository: its verdict, each rule's status and summary, the test count and points."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        row: Dict[str, object] = {"repository": report.repository, "error": report.error,
                                  "passed": "yes" if report.passed else "no", "seconds": f"{report.seconds:.1f}"}
        for rule in report.rules:
            row[rule.key], row[f"{rule.key}_reason"] = rule.status, rule.summary
            if rule.key == graded_tests.KEY and "total" in rule.data:
                row.update(tests_passed=rule.data["passed"], tests_total=rule.data["total"],
                           points=rule.data["points"], max_points=rule.data["max_points"])
        writer.writerow([row.get(column, "") for column in CSV_COLUMNS])
    return out.getvalue()
