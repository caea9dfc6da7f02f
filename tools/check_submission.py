"""Check a submission against the sheet's rules before it is pushed: `python -m tools.check_submission [REPO ...]`.

The sheet grades more than the tests, and pushes are limited. For a repository (default: the current folder) one
line per rule says passed, failed and why, or not checked and why (`tools/submission_rules/`, one module a rule):
  1. changes outside the gaps: every line changed, added or removed outside a `# START TODO` / `# END TODO` pair,
     as file:line with the line, and markers removed or moved, compared with the handout's record
     (`.handout/manifest.json`; `--handout DIR` compares with a handout folder instead, e.g. the one staff gave
     out, since a student can change the record too; run from the reference, a submission without a record is
     compared with the handout the reference generates now); whitespace-only changes are listed apart;
  2. at most two nested loops in Conv2d.forward (while loops and comprehensions count), read with `ast`;
  3. `pycodestyle --max-line-length 120` on the whole repository, the findings inside the gaps first;
  4. Python 3.8: every .py compiled with a 3.8 interpreter where one exists (and the tests run under it when it
     has numpy and pytest), else a static check; the gaps read for calls 3.8 and numpy 1.24 lack;
  5. the handout's tests per graded part, as GitHub Classroom counts them: passed / total, points, and what
     failed in the tests' own words (each part in its own pytest process, within `--timeout` seconds in all);
  6. feedback.md answers the sheet's four questions (not the blank template);
  7. submission.pdf is there, is a PDF, and its first page names the team (read with `pdftotext` if installed).
Exit status 0 only when every rule passed (a rule not checked did not pass), 1 otherwise, 2 on bad usage.
Offline; about 5 s per repository on two cores. It runs the submission's tests, that is the team's code, as
GitHub Classroom does: run it where that is safe.

For teaching staff: several repositories, or one folder holding a class's clones, give one CSV row per
repository (to stdout, or `--csv FILE`); a broken, half-cloned or foreign repository is a row with its error.
`--json` prints the full results for machines instead (an object, or a list for several repositories).

Usage:
    python -m tools.check_submission [REPO ...] [--handout DIR] [--json | --csv FILE] [--jobs 2] [--timeout 50]
                                     [--python38 PATH|none]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from tools.submission_rules import feedback, graded_tests, loops, outside_gaps, pdf, python38, style
from tools.submission_rules.common import NOT_CHECKED, RuleResult, result, shorten
from tools.submission_rules.python38 import Interpreter
from tools.submission_rules.record import RECORD_PATH, Record, RecordError, as_text, parse_record, read_record, \
    record_of_handout, text_lines
from tools.submission_rules.reports import RULES, Report, as_json, render_csv, render_screen
from tools.submission_rules.repository import Repository, list_files

CHECKER_ROOT = Path(__file__).resolve().parent.parent
COURSE_FILES = ("lib/convolutions.py", "lib/convolution_warmup.py", "lib/experiments.py")


class UsageError(ValueError):
    """Bad usage: the message is one line, the exit status 2."""


class RepositoryError(ValueError):
    """A repository that cannot be checked at all (not the course's, empty, no record): one line."""


class Options(NamedTuple):
    """The checked command line."""
    repositories: List[Path]
    several: bool
    handout: Optional[Tuple[Record, Optional[bytes]]]
    json: bool
    csv: Optional[Path]
    jobs: int
    timeout: float
    python38: Optional[Interpreter]


# ---------------------------------------------------------------- the command line, checked in one place

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def _looks_like_repository(path: Path) -> bool:
    return (path / ".git").exists() or any((path / rel).exists() for rel in COURSE_FILES + (RECORD_PATH,))


def _expand(paths: List[Path]) -> Tuple[List[Path], bool]:
    """The repositories to check and whether they are several: one folder that is no repository but holds
    repositories is a class's folder of clones (each non-hidden subfolder is checked)."""
    if len(paths) == 1 and not _looks_like_repository(paths[0]):
        children = sorted(child for child in paths[0].iterdir() if child.is_dir() and not child.name.startswith("."))
        if any(_looks_like_repository(child) for child in children):
            return children, True
    return paths, len(paths) > 1


def parse_arguments(argv: Optional[Sequence[str]]) -> Options:
    """Read and check the command line.

    Raises:
        UsageError: for anything unusable (a missing REPO, an unreadable --handout, --jobs < 1, ...).
    """
    parser = _Parser(prog="python -m tools.check_submission", description="Check a submission against the "
                     "sheet's rules (see the module docstring).")
    parser.add_argument("repositories", metavar="REPO", nargs="*", type=Path, default=[Path(".")],
                        help="repositories to check, or one folder holding a class's clones (default: .)")
    parser.add_argument("--handout", metavar="DIR", type=Path, help="compare with this handout folder instead of "
                        "each repository's .handout/manifest.json")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--csv", metavar="FILE", type=Path, help="write one CSV row per repository to FILE")
    parser.add_argument("--jobs", type=int, default=2, help="test runs at a time (default 2)")
    parser.add_argument("--timeout", type=float, default=50.0,
                        help="seconds a repository's test runs may take in all (default 50)")
    parser.add_argument("--python38", metavar="PATH", help="the Python 3.8 to use, or 'none' for the static "
                        "check only (default: look for one)")
    args = parser.parse_args(argv)
    for path in args.repositories:
        if not path.is_dir():
            raise UsageError(f"REPO {path}: no such folder")
    if args.json and args.csv:
        raise UsageError("--json and --csv exclude each other")
    if args.csv is not None and not args.csv.resolve().parent.is_dir():
        raise UsageError(f"--csv {args.csv}: its folder does not exist")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a number of seconds > 0, got {args.timeout:g}")
    if args.python38 is None:
        interpreter = python38.find_python38()
    elif args.python38.lower() == "none":
        interpreter = None
    else:
        interpreter = python38.probe([args.python38])
        if interpreter is None:
            raise UsageError(f"--python38 {args.python38}: not a Python 3.8 interpreter")
    handout = None
    if args.handout is not None:
        try:
            record = record_of_handout(args.handout, list_files)
        except (RecordError, OSError) as error:
            raise UsageError(str(error)) from None
        shipped = args.handout / RECORD_PATH
        handout = (record, shipped.read_bytes() if shipped.is_file() else None)
    repositories, several = _expand([path.resolve() for path in args.repositories])
    return Options(repositories, several or args.csv is not None, handout, args.json, args.csv, args.jobs,
                   args.timeout, interpreter)


# ---------------------------------------------------------------- one repository

def _record_for(repo: Repository, handout: Optional[Tuple[Record, Optional[bytes]]]):
    """The record to compare with and the record the handout shipped (None: the submission's own is used)."""
    if handout is not None:
        return handout
    if repo.exists(RECORD_PATH):
        try:
            return read_record(repo.root / RECORD_PATH, RECORD_PATH), None
        except RecordError as error:
            raise RepositoryError(f"{error}: restore it from the handout, or pass --handout DIR") from None
    if (CHECKER_ROOT / "tools" / "make_handout.py").is_file():  # in the reference: the handout it generates now
        from tools.make_handout import plan_handout
        files = plan_handout(CHECKER_ROOT).files
        texts = {rel: text_lines(as_text(content) or "") for rel, (content, _) in files.items()}
        return parse_record(files[RECORD_PATH][0], f"the handout of {CHECKER_ROOT} (the submission has no "
                                                   f"{RECORD_PATH})", texts), None
    raise RepositoryError(f"no handout record: {RECORD_PATH} is missing (restore it from the handout, or pass "
                          f"--handout DIR)")


def _guarded(key: str, title: str, rule, *arguments) -> RuleResult:
    """Run one rule; a checker error becomes the rule's "not checked" line, never a crash."""
    try:
        return rule(*arguments)
    except Exception as error:  # a submission can hold anything: report, go on with the next rule
        return result(key, title, NOT_CHECKED, f"the checker failed here ({type(error).__name__}: "
                                               f"{shorten(str(error), 100)})")


def check_repository(root: Path, options: Options) -> Report:
    """Check one repository; every problem, however broken the repository, ends up in the report."""
    started = time.monotonic()
    try:
        repo = Repository(root)
        if not repo.files:
            raise RepositoryError("no files checked out (an empty or half-cloned repository)")
        if not any(repo.exists(rel) for rel in COURSE_FILES + (RECORD_PATH,)):
            raise RepositoryError(f"not a repository of the course's exercise (it has none of "
                                  f"{', '.join(COURSE_FILES + (RECORD_PATH,))})")
        record, shipped = _record_for(repo, options.handout)
        gap_files = sorted({gap.file for gap in record.gaps})
        rules: Dict[str, RuleResult] = {}
        rules[outside_gaps.KEY] = _guarded(outside_gaps.KEY, outside_gaps.TITLE, outside_gaps.check, record, repo,
                                           shipped)
        rules[loops.KEY] = _guarded(loops.KEY, loops.TITLE, loops.check, repo)
        rules[style.KEY] = _guarded(style.KEY, style.TITLE, style.check, repo)
        deadline = time.monotonic() + options.timeout  # for the tests, and for those under Python 3.8
        try:
            outcomes = graded_tests.run_parts(record.parts, repo.root, deadline, options.jobs)
            rules[graded_tests.KEY] = _guarded(graded_tests.KEY, graded_tests.TITLE, graded_tests.check,
                                               record.parts, outcomes)
        except Exception as error:  # as in _guarded
            outcomes = []
            rules[graded_tests.KEY] = result(graded_tests.KEY, graded_tests.TITLE, NOT_CHECKED,
                                             f"the tests could not be run ({type(error).__name__}: {error})")
        rules[python38.KEY] = _guarded(python38.KEY, python38.TITLE, python38.check, repo, options.python38,
                                       gap_files, outcomes, deadline)
        rules[feedback.KEY] = _guarded(feedback.KEY, feedback.TITLE, feedback.check, repo)
        rules[pdf.KEY] = _guarded(pdf.KEY, pdf.TITLE, pdf.check, repo)
        ordered = [rules[key] for key, _ in RULES]
        return Report(str(root), "", ordered, time.monotonic() - started)
    except (RepositoryError, OSError) as error:
        return Report(str(root), str(error), [], time.monotonic() - started)
    except Exception as error:  # never a crash for one repository of a class
        return Report(str(root), f"the checker failed ({type(error).__name__}: {shorten(str(error), 100)})", [],
                      time.monotonic() - started)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Check the repositories and print (or write) the report; returns the exit status."""
    try:
        options = parse_arguments(argv)
    except UsageError as error:
        print(f"python -m tools.check_submission: error: {error}", file=sys.stderr)
        return 2
    reports = []
    for number, root in enumerate(options.repositories, 1):
        reports.append(check_repository(root, options))
        if options.several and sys.stderr.isatty():
            print(f"checked {number}/{len(options.repositories)}: {root.name}", file=sys.stderr)
    if options.json:
        data = [as_json(report) for report in reports]
        print(json.dumps(data if options.several else data[0], indent=1))
    elif options.csv is not None:
        options.csv.write_text(render_csv(reports), encoding="utf-8")
        errors = sum(1 for report in reports if report.error)
        print(f"Wrote {len(reports)} rows to {options.csv}: {sum(r.passed for r in reports)} pass every rule, "
              f"{errors} could not be checked")
    elif options.several:
        sys.stdout.write(render_csv(reports))
    else:
        report = reports[0]
        print(render_screen(report), file=sys.stderr if report.error else sys.stdout)
    return 0 if all(report.passed for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
