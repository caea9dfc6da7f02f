"""Mutation score per module from the results of the last `mutmut run` (see notes/mutation.md).

mutmut writes one `mutants/<path>.py.meta` JSON file per mutated module, mapping each mutant's name to
the exit code of the tests that ran against it. This tool counts, per module, the mutants killed
(tests failed, timed out or crashed) and the survivors, subtracts the survivors listed as equivalent in
`tools/mutation_equivalents.txt` (a name per line, `#` and the reason after it), and prints

    module  killed / non-equivalent  score  (equivalent, survived, not run)

followed by the names of the surviving non-equivalent mutants. Mutants without a result yet (an
interrupted run, or `mutmut run NAME ...` restricted to some) are counted apart as "not run".
Equivalent names that did not survive (or no longer exist) are reported as stale: mutmut numbers a
function's mutants afresh when the function changes, so the list must be reviewed after an edit.

Run from the repository root, with the Python that runs mutmut: `python -m tools.mutation_scores`.
Exit status 1 if a module scores below `--goal` (default 0.9).
"""
import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

KILLED_EXIT_CODES = {1, 3, 24, -24, 152, 255, 36, 37, -11, -9}  # failed tests, timeouts, crashes, type checks
EQUIVALENTS_FILE = Path(__file__).with_name("mutation_equivalents.txt")


def read_results(mutants_dir: Path) -> dict:
    """{mutant name: exit code or None (not run)} over every .meta file under `mutants_dir`."""
    results = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        results.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return results


def read_equivalents(path: Path) -> dict:
    """{mutant name: reason} from lines `name  # reason`; blank lines and comment lines are skipped."""
    equivalents = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            equivalents[name.strip()] = reason.strip()
    return equivalents


def module_of(mutant: str) -> str:
    """`lib.shifts.x_shift_images__mutmut_3` -> `lib.shifts`: the part before mutmut's mangled function name,
    `x_<function>` or `xǁ<class>ǁ<method>`."""
    match = re.match(r"(.+?)\.x[_ǁ]", mutant)
    return match.group(1) if match else mutant.rsplit(".", 1)[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's folder (default: mutants)")
    parser.add_argument("--goal", type=float, default=0.9, help="lowest acceptable score per module (default 0.9)")
    args = parser.parse_args(argv)
    results = read_results(args.mutants)
    if not results:
        print(f"no mutmut results under {args.mutants}; run `mutmut run` first", file=sys.stderr)
        return 2
    equivalents = read_equivalents(EQUIVALENTS_FILE) if EQUIVALENTS_FILE.exists() else {}
    by_module = defaultdict(lambda: {"killed": 0, "equivalent": 0, "survivors": [], "not_run": 0})
    for name, code in sorted(results.items()):
        counts = by_module[module_of(name)]
        if code is None:  # an interrupted run, or one restricted to some mutants: no result yet
            counts["not_run"] += 1
        elif code in KILLED_EXIT_CODES:
            counts["killed"] += 1
        elif name in equivalents:
            counts["equivalent"] += 1
        else:
            counts["survivors"].append(name)
    below = False
    print(f"{'module':40} {'killed / non-equivalent':>24} {'score':>7}  equivalent  survived  not run")
    for module, counts in sorted(by_module.items()):
        relevant = counts["killed"] + len(counts["survivors"])
        score = counts["killed"] / relevant if relevant else 1.0
        below |= score < args.goal
        print(f"{module:40} {counts['killed']:>11} / {relevant:<12} {score:7.1%}  {counts['equivalent']:>10}  "
              f"{len(counts['survivors']):>8}  {counts['not_run']:>7}")
    survivors = [name for counts in by_module.values() for name in counts["survivors"]]
    if survivors:
        print("\nsurviving mutants (`mutmut show NAME` prints one):")
        print("\n".join(f"  {name}" for name in survivors))
    stale = sorted(name for name in equivalents if results.get(name) in KILLED_EXIT_CODES or name not in results)
    if stale:
        print("\nlisted as equivalent but killed or gone (review tools/mutation_equivalents.txt):")
        print("\n".join(f"  {name}" for name in stale))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
