"""Prove that the handout's tests separate right solutions from wrong ones: `python -m tools.check_handout`.

Builds the student handout (`tools.make_handout`) in a temporary folder and checks, printing one table:
  (a) the reference passes every handout test (tests/handout), and so does the handout with the
      reference's solutions in its gaps (the "solved handout": the course's code paths, no fast path);
  (b) the handout as generated (every gap `raise NotImplementedError`) fails every test of every gap;
  (c) one gap out: with only gap g emptied, g's tests fail and the tests of every gap that does not use g
      (`USES`) still pass, so a student who missed one gap still earns the others' points;
  (d) every mistake of the catalogue (`tools/handout_cases`) fails at least one handout test, and how many
      the course's own tests alone (the tests marked `course`) would catch;
  (e) every correct solution of the catalogue passes all the tests of its graded part;
  (f) nothing shipped defines or imports what computes a gap (`leaks`);
  (g) two builds are byte-identical.
Each case is a copy of the solved handout with one gap changed, running the tests of that gap's graded part
(all the tests for (b) and (c)) in a pytest process of its own, `--jobs` at a time.

Usage:
    python -m tools.check_handout [--jobs 2] [--gap NAME ...] [--keep DIR]
Exit status: 0 when every check holds, 1 when one fails, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

from tools.gaps import GAPS, empty_gap, fill_gap, gap_solution
from tools.graded_parts import GRADED_PARTS
from tools.leaks import find_leaks, gaps_not_empty
from tools.make_handout import build_handout

REPO_ROOT = Path(__file__).resolve().parent.parent
HANDOUT_TESTS = Path("tests") / "handout"
# Which gaps a gap's tests may need besides their own: the forward computes its output shape with the
# output-size formula. Every other dependency is cut by a stand-in in the tests (the experiment's tests
# replace the data, shift_data and the CNN; create_conv_model's tests read the layers without a forward).
USES = {"conv_forward": {"conv_output"}}
RUN_TIMEOUT_S = 300


class Case(NamedTuple):
    """One run: a label, the gap it changes (None: none), the code in that gap (None: emptied), the tests."""
    kind: str  # "solution", "mistake", "one gap out", ...
    gap: Optional[str]
    name: str
    code: Optional[str]
    test_files: Sequence[str]


class Outcome(NamedTuple):
    """The tests a run failed (node id -> message), and whether its report was missing."""
    failed: Dict[str, str]
    seconds: float


def part_test_files(gap: str) -> List[str]:
    """The test files of the graded part that grades `gap`, as the handout has them (tests/<name>)."""
    for part in GRADED_PARTS:
        if gap in part.gaps:
            return list(part.test_files)
    raise KeyError(f"no graded part grades the gap {gap!r}")


def catalogue() -> Dict[str, object]:
    """The catalogue module of every gap (tools/handout_cases/<gap>.py)."""
    return {gap: importlib.import_module(f"tools.handout_cases.{gap}") for gap in GAPS}


def mistake_code(module, name: str) -> str:
    """The code of one mistake: its base solution with the one change applied."""
    base, old, new, _ = module.MISTAKES[name]
    solution = module.SOLUTIONS[base]
    if solution.count(old) != 1:
        raise ValueError(f"mistake {name!r} of {module.GAP}: {old!r} occurs {solution.count(old)} times in {base!r}")
    return solution.replace(old, new)


def solve(handout: Path, reference: Path) -> None:
    """Fill every gap of the handout at `handout` with the reference's solution."""
    for file in sorted({gap.file for gap in GAPS.values()}):
        text = (handout / file).read_text(encoding="utf-8")
        reference_text = (reference / file).read_text(encoding="utf-8")
        for gap in GAPS.values():
            if gap.file == file:
                text = fill_gap(text, gap.function, gap_solution(reference_text, gap.function, file), file)
        (handout / file).write_text(text, encoding="utf-8")


def run_tests(repo: Path, test_files: Sequence[str], report: Path, gap: Optional[str] = None) -> Dict[str, dict]:
    """Run pytest on `test_files` in `repo` with the reporting plugin (only `gap`'s tests if given); return its
    JSON report ({} if none)."""
    env = dict(os.environ, HANDOUT_REPORT=str(report), HANDOUT_GAP=gap or "", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "tools"), os.environ.get("PYTHONPATH", "")]))
    if report.exists():
        report.unlink()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "handout_report", "-p", "no:cacheprovider", *test_files]
    try:
        subprocess.run(command, cwd=str(repo), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {}
    return json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}


class Workers:
    """Copies of the solved handout, one per job, each running one case at a time."""

    def __init__(self, solved: Path, work: Path, jobs: int, expected: Dict[str, dict]):
        self.expected = expected  # node id -> entry, every test of the solved handout
        self.copies = []
        for k in range(jobs):
            copy = work / f"worker{k}"
            shutil.copytree(str(solved), str(copy))
            self.copies.append(copy)
        self.free = list(self.copies)

    def run(self, case: Case) -> Outcome:
        """Change the case's gap in a free copy, run the case's tests, restore the copy."""
        copy = self.free.pop()
        try:
            started = time.monotonic()
            original = None
            if case.gap is not None:
                gap = GAPS[case.gap]
                path = copy / gap.file
                original = path.read_text(encoding="utf-8")
                changed = empty_gap(original, gap.function, gap.file) if case.code is None else \
                    fill_gap(original, gap.function, case.code, gap.file)
                path.write_text(changed, encoding="utf-8")
            try:
                only = case.gap if case.kind in ("solution", "mistake") else None  # one gap out: all the tests
                results = run_tests(copy, case.test_files, copy / "report.json", only)
            finally:
                if original is not None:
                    path.write_text(original, encoding="utf-8")
            failed = {}
            for node, entry in self.expected.items():
                if not any(node.startswith(f) for f in case.test_files) or (only and only not in entry["gaps"]):
                    continue
                got = results.get(node)
                if got is None:
                    failed[node] = "not run (the test file could not be imported, or the run timed out)"
                elif got["outcome"] == "failed":
                    failed[node] = got["message"]
            return Outcome(failed, time.monotonic() - started)
        finally:
            self.free.append(copy)


def differing_files(first: Path, second: Path) -> List[str]:
    """The relative paths that differ between two trees: missing on one side, or other bytes or mode."""
    def tree(root: Path) -> Dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    a, b = tree(first), tree(second)
    return sorted(name for name in set(a) | set(b)
                  if name not in a or name not in b or a[name].read_bytes() != b[name].read_bytes()
                  or a[name].stat().st_mode != b[name].stat().st_mode)


def gap_tests(expected: Dict[str, dict], gap: str) -> List[str]:
    """The node ids of the tests that carry the marker of `gap`."""
    return [node for node, entry in expected.items() if gap in entry["gaps"]]


def check(jobs: int, only: Sequence[str], keep: Optional[Path]) -> bool:
    """Run every check and print the table; return whether all hold."""
    work = Path(tempfile.mkdtemp(prefix="check_handout_")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        handout, again = work / "handout", work / "handout_again"
        for folder in (handout, again):
            if folder.exists():
                shutil.rmtree(str(folder))
        written = build_handout(REPO_ROOT, handout)
        build_handout(REPO_ROOT, again)
        differing = differing_files(handout, again)
        print(f"(g) two builds: {'byte-identical' if not differing else 'DIFFER: ' + ', '.join(differing)} "
              f"({len(written)} files)")
        ok &= not differing

        leaks = find_leaks(handout) + gaps_not_empty(handout)
        print("(f) leaks: " + ("none (no shipped file defines or imports what computes a gap)" if not leaks
                               else "\n    ".join(["FOUND"] + leaks)))
        ok &= not leaks

        reference = run_tests(REPO_ROOT, [str(HANDOUT_TESTS)], work / "reference.json")
        reference_failed = [n for n, e in reference.items() if e["outcome"] != "passed"]
        solved = work / "solved"
        if solved.exists():
            shutil.rmtree(str(solved))
        shutil.copytree(str(handout), str(solved))
        solve(solved, REPO_ROOT)
        expected = run_tests(solved, ["tests"], work / "solved.json")
        solved_failed = [n for n, e in expected.items() if e["outcome"] != "passed"]
        unmarked = [n for n, e in expected.items() if len(e["gaps"]) != 1]
        print(f"(a) the reference passes {len(reference) - len(reference_failed)} / {len(reference)} handout tests; "
              f"the solved handout {len(expected) - len(solved_failed)} / {len(expected)}")
        for node in reference_failed + solved_failed:
            print(f"    FAILED {node}")
        for node in unmarked:
            print(f"    {node} must carry exactly one gap marker")
        ok &= bool(expected) and not reference_failed and not solved_failed and not unmarked and \
            len(reference) == len(expected)
        if not ok:
            return False

        workers = Workers(solved, work, jobs, expected)
        unsolved = run_tests(handout, ["tests"], work / "unsolved.json")
        passing = [n for n in expected if unsolved.get(n, {}).get("outcome") == "passed"]
        print(f"(b) the handout as generated fails {len(expected) - len(passing)} / {len(expected)} tests")
        for node in passing:
            print(f"    PASSES without a solution: {node}")
        ok &= not passing

        gaps = [g for g in GAPS if not only or g in only]
        cases = [Case("one gap out", g, "emptied", None, ["tests"]) for g in gaps]
        modules = catalogue()
        for g in gaps:
            module = modules[g]
            cases += [Case("solution", g, name, code, part_test_files(g)) for name, code in module.SOLUTIONS.items()]
            cases += [Case("mistake", g, name, mistake_code(module, name), part_test_files(g))
                      for name in module.MISTAKES]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(workers.run, cases))
        ok &= report(cases, outcomes, expected, gaps)
        slowest = max(zip(outcomes, cases), key=lambda pair: pair[0].seconds)
        print(f"{len(cases)} runs in {time.monotonic() - started:.0f} s ({jobs} at a time; the slowest "
              f"{slowest[0].seconds:.1f} s: {slowest[1].kind} {slowest[1].gap}/{slowest[1].name})")
        return ok
    finally:
        if keep is None:
            shutil.rmtree(str(work), ignore_errors=True)


def report(cases: Sequence[Case], outcomes: Sequence[Outcome], expected: Dict[str, dict], gaps: Sequence[str]) -> bool:
    """Print the per-gap table of (c), (d) and (e) and every failure in it; return whether all hold."""
    ok = True
    course = {n for n, e in expected.items() if e["course"]}
    print(f"\n{'gap':<20} {'one gap out':<24} {'solutions pass':>14} {'mistakes caught':>16} "
          f"{'by the course tests':>20}")
    problems = []
    for g in gaps:
        own = set(gap_tests(expected, g))
        row = {"solution": [0, 0], "mistake": [0, 0], "course": 0}
        one_out = ""
        for case, outcome in zip(cases, outcomes):
            if case.gap != g:
                continue
            failed = set(outcome.failed)
            if case.kind == "one gap out":
                missed = own - failed
                allowed = {n for n in expected if set(expected[n]["gaps"]) & ({g} | dependants(g))}
                others = sorted(failed - allowed)
                one_out = "ok" if not missed and not others else "FAILS"
                if dependants(g):
                    one_out += f" ({', '.join(sorted(dependants(g)))} uses it)"
                problems += [f"{g} emptied, its test passes: {n}" for n in sorted(missed)]
                problems += [f"{g} emptied, the test of another gap fails: {n}" for n in others]
            elif case.kind == "solution":
                row["solution"][1] += 1
                row["solution"][0] += not failed
                problems += [f"correct solution {g}/{case.name} fails {n}: {m}" for n, m in outcome.failed.items()]
            else:
                row["mistake"][1] += 1
                row["mistake"][0] += bool(failed)
                row["course"] += bool(failed & course)
                if not failed:
                    problems.append(f"mistake {g}/{case.name} passes every test")
        print(f"{g:<20} {one_out:<24} {row['solution'][0]:>6} / {row['solution'][1]:<5} "
              f"{row['mistake'][0]:>7} / {row['mistake'][1]:<6} {row['course']:>11} / {row['mistake'][1]:<6}")
        ok &= one_out.startswith("ok") and row["solution"][0] == row["solution"][1] \
            and row["mistake"][0] == row["mistake"][1] and row["solution"][1] >= 4
    totals = [sum(1 for c, o in zip(cases, outcomes) if c.kind == "mistake" and pred(c, o))
              for pred in (lambda c, o: True, lambda c, o: bool(o.failed),
                           lambda c, o: bool(set(o.failed) & course))]
    print(f"{'all gaps':<20} {'':<24} {'':>14} {totals[1]:>7} / {totals[0]:<6} {totals[2]:>11} / {totals[0]:<6}")
    for problem in problems:
        print("  " + problem)
    return ok and not problems


def dependants(gap: str) -> set:
    """The gaps whose tests may fail when `gap` is empty (they use it)."""
    return {user for user, used in USES.items() if gap in used}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="test runs at a time (default 2)")
    parser.add_argument("--gap", nargs="+", default=[], choices=sorted(GAPS), help="check only these gaps' cases")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    ok = check(args.jobs, args.gap, args.keep)
    print("\nEvery check holds." if ok else "\nSome check fails (see above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
