"""Write the student repository (the handout) from this reference solution: `python -m tools.make_handout DIR`.

One source: the handout is generated from the reference's own files, never kept as a second copy.
* The course's 13 lib modules and the exercise's five root scripts are transformed (`tools.markers`): every
  gap, `# START TODO ################` ... `# END TODO ################`, keeps its START line, its hint
  (the comment lines right after START) and its END line, and its solution becomes `raise
  NotImplementedError` at the markers' indentation; every region between `# BEGIN REFERENCE ONLY ...` and
  `# END REFERENCE ONLY ...` is dropped with its markers. Every lib module they still import (found with
  `ast` in the transformed text, transitively, package `__init__.py` files included: `tools.import_closure`)
  is shipped, transformed the same way; nothing else from lib/.
* tests/handout/* becomes tests/* (not `__init__.py`); requirements.txt, runtests.sh, runtests.bat,
  tools/autograde.py (students predict their grade) and tools/style_excludes.py (runtests.sh calls it)
  are copied as they are, setup.cfg keeps only its pycodestyle and pytest sections, data/ is copied.
* The submission checker, `python -m tools.check_submission` (tools/check_submission.py and its rules in
  tools/submission_rules/), is copied as it is, and the record of everything shipped outside the gaps,
  `.handout/manifest.json` (`tools.submission_rules.record`), is written last: the checker compares a
  submission with it.
* From tools/handout_files/: the student README.md (its gap and grading sections generated), a blank
  feedback.md and the .gitignore; and the GitHub Classroom workflow, in the form Classroom generates,
  one command-grader step per graded part of `GRADED_PARTS` (`tools.generated_files`), then the grading reporter.
The same commit gives a byte-identical tree: files are read from the working tree (build from a clean
checkout), walked in sorted order, written with fixed modes (0o644, 0o755 where the source is
executable), with no timestamps and no absolute paths. A malformed marker (START without END, nested
markers, markers of different indentation, a reference-only region inside a gap) or a transformed file
that no longer compiles is an error naming file:line, and nothing is written.

Usage:
    python -m tools.make_handout DIR [--force] [--root ROOT]
DIR must be empty or new (`--force` empties it first, all but a `.git`). Exit status: 0 when written, 1 on a malformed
source, 2 on bad usage. `plan_handout`, `build_handout` and `gap_notes` are for other tools (a checker that fills
the gaps); the gaps and graded parts are in `tools.gaps` and `tools.graded_parts`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from tools.gaps import LocatedGap, name_gaps
from tools.generated_files import TEMPLATES, handout_setup_cfg, render_readme, render_workflow
from tools.graded_parts import GAPS, GRADED_PARTS
from tools.import_closure import import_closure, lib_imports
from tools.markers import HandoutError, transform
from tools.submission_rules.record import RECORD_PATH, Part, RecordError, build_record

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_MODULES = tuple(f"lib/{name}.py" for name in (
    "__init__", "activations", "convolution_warmup", "convolutions", "dataset_mnist", "experiments", "losses",
    "model_evaluation", "model_training", "network", "network_base", "optimizers", "plot_images", "utilities"))
ROOT_SCRIPTS = ("plot_mnist.py", "show_conv_output_dims.py", "run_simple_conv.py", "run_conv_experiment.py",
                "run_shifted_conv_experiment.py")
COPIED_AS_IS = ("requirements.txt", "runtests.sh", "runtests.bat", "tools/__init__.py", "tools/autograde.py",
                "tools/style_excludes.py")
CHECKER_FILES = ("tools/check_submission.py",)  # and every module of CHECKER_RULES
CHECKER_RULES = "tools/submission_rules"
HANDOUT_TESTS = "tests/handout"
DATA_DIR = "data"
TEMPLATE_FILES = {"README.md": "README.md", "feedback.md": "feedback.md", "gitignore": ".gitignore"}
READ_FROM = ("lib", "tests", "data", "tools", ".github", ".git")  # DIR may not lie inside these
WORKFLOW_PATH = ".github/workflows/classroom.yml"


class UsageError(HandoutError):
    """The command was used wrongly (DIR not empty, DIR inside the sources); exit status 2."""


class Handout(NamedTuple):
    """What the handout holds: {relative path: (content, mode)}, and its gaps."""
    files: Dict[str, Tuple[bytes, int]]
    gaps: List[LocatedGap]


# ---------------------------------------------------------------- the whole handout

def _walk(folder: Path) -> List[Path]:
    """The files under `folder`, sorted, leaving out hidden entries, __pycache__ and compiled files."""
    files = []
    for directory, subfolders, names in os.walk(str(folder)):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and name != "__pycache__")
        files += [Path(directory) / name for name in sorted(names)
                  if not name.startswith(".") and not name.endswith((".pyc", ".pyo"))]
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


def _mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def plan_handout(root: Path = REPO_ROOT) -> Handout:
    """Everything the handout holds, read and checked, in memory (nothing is written).

    Raises:
        HandoutError: naming file:line for a malformed or missing source (see the module docstring).
    """
    root = Path(root).resolve()
    texts: Dict[str, str] = {}
    gaps: List[LocatedGap] = []

    def source(rel: str) -> Path:
        path = root / rel
        if not path.is_file():
            raise HandoutError(f"{rel}: missing (the handout needs it)")
        return path

    def handout_text(rel: str) -> str:
        if rel not in texts:
            texts[rel], raises = transform(source(rel).read_bytes().decode("utf-8"), rel)
            gaps.extend(name_gaps(rel, raises))
        return texts[rel]

    modules = sorted(set(COURSE_MODULES) | set(import_closure(root, COURSE_MODULES + ROOT_SCRIPTS, handout_text)))
    files: Dict[str, Tuple[bytes, int]] = {}
    for rel in modules + list(ROOT_SCRIPTS):
        files[rel] = (handout_text(rel).encode("utf-8"), _mode(source(rel)))
    tests = root / HANDOUT_TESTS
    if not tests.is_dir():
        raise HandoutError(f"{HANDOUT_TESTS}/: missing (the tests the students get)")
    for path in _walk(tests):
        if path.name == "__init__.py":
            continue
        rel, target = path.relative_to(root).as_posix(), "tests/" + path.relative_to(tests).as_posix()
        if path.suffix == ".py":
            for line, module in lib_imports(root, path.read_text(encoding="utf-8"), rel):
                if module not in modules:
                    raise HandoutError(f"{rel}:{line}: imports {module}, which the handout does not ship (its "
                                       f"tests may import only the course's modules and what they import)")
        files[target] = (path.read_bytes(), _mode(path))
    for part in GRADED_PARTS:
        for test_file in part.test_files:
            if test_file not in files:
                raise HandoutError(f"{HANDOUT_TESTS}/{Path(test_file).name}: missing (graded part {part.name!r} "
                                   f"runs {test_file})")
    for rel in COPIED_AS_IS:
        files[rel] = (source(rel).read_bytes(), _mode(source(rel)))
    if not (root / CHECKER_RULES).is_dir():
        raise HandoutError(f"{CHECKER_RULES}/: missing (python -m tools.check_submission needs it)")
    rules = [path.relative_to(root).as_posix() for path in _walk(root / CHECKER_RULES) if path.suffix == ".py"]
    for rel in list(CHECKER_FILES) + rules:
        files[rel] = (source(rel).read_bytes(), _mode(source(rel)))
    setup_cfg = root / "setup.cfg"
    files["setup.cfg"] = (handout_setup_cfg(setup_cfg.read_text(encoding="utf-8") if setup_cfg.is_file() else None)
                          .encode("utf-8"), 0o644)
    if not (root / DATA_DIR).is_dir():
        raise HandoutError(f"{DATA_DIR}/: missing (the MNIST files)")
    for path in _walk(root / DATA_DIR):
        files[path.relative_to(root).as_posix()] = (path.read_bytes(), 0o644)
    order = {spec.name: index for index, spec in enumerate(GAPS)}
    gaps.sort(key=lambda g: (order.get(g.name or "", len(GAPS)), g.file, g.gap.start))
    for name, target in TEMPLATE_FILES.items():
        template = source(f"{TEMPLATES}/{name}").read_text(encoding="utf-8")
        files[target] = ((render_readme(template, gaps) if name == "README.md" else template).encode("utf-8"), 0o644)
    files[WORKFLOW_PATH] = (render_workflow().encode("utf-8"), 0o644)
    parts = [Part(part.name, part.command, part.points) for part in GRADED_PARTS]
    try:
        files[RECORD_PATH] = (build_record({rel: content for rel, (content, _) in files.items()}, parts), 0o644)
    except RecordError as error:  # a marker-like comment outside the course's files
        raise HandoutError(str(error)) from None
    checkout = os.fsencode(str(root))
    for rel, (content, _) in files.items():
        if checkout in content:
            raise HandoutError(f"{rel}: holds this checkout's absolute path {root}")
    return Handout(dict(sorted(files.items())), gaps)


def gap_notes(gaps: Sequence[LocatedGap]) -> List[str]:
    """One line per gap of GAPS the handout lacks or has twice, and per gap that is none of GAPS."""
    notes = [f"{g.file}:{g.gap.start}: a gap in {g.function}, which is none of the exercise's gaps"
             for g in gaps if g.name is None]
    for spec in GAPS:
        count = sum(1 for g in gaps if g.name == spec.name)
        if count != 1:
            notes.append(f"{spec.file}: the gap {spec.name} in {spec.function} is "
                         f"{'missing' if not count else f'there {count} times'}")
    return notes


def check_destination(dest: Path, force: bool = False, root: Path = REPO_ROOT) -> Path:
    """Check that DIR can take the handout (every check of the command's arguments is here); returns it resolved.

    Raises:
        UsageError: if DIR is a file, is not empty (without force), or is the repository, holds it, or
            lies inside a folder the handout is read from.
    """
    dest, root = Path(dest).resolve(), Path(root).resolve()
    if dest == root or dest in root.parents:
        raise UsageError(f"{dest} is the repository or holds it: choose a folder outside it")
    for folder in READ_FROM:
        if dest == root / folder or root / folder in dest.parents:
            raise UsageError(f"{dest} lies inside {folder}/, which the handout is read from: choose another folder")
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file, not a folder")
    if not force and dest.is_dir() and any(dest.iterdir()):
        raise UsageError(f"{dest} is not empty: choose an empty or new folder, or add --force to empty it first")
    return dest


def prepare_destination(dest: Path, force: bool = False, root: Path = REPO_ROOT) -> Path:
    """Check DIR (`check_destination`) and make it an empty folder: with `force` it is emptied first, all but
    a `.git` in it, so that DIR may be a clone of the students' template repository."""
    dest = check_destination(dest, force, root)
    if dest.is_dir():
        for child in sorted(dest.iterdir()):
            if child.name == ".git":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(str(child))
            else:
                child.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def write_handout(handout: Handout, dest: Path, force: bool = False, root: Path = REPO_ROOT) -> List[str]:
    """Write a planned handout into DIR (see `prepare_destination`); returns the files written, sorted."""
    dest = prepare_destination(dest, force, root)
    for rel, (content, mode) in handout.files.items():
        path = dest / rel
        for folder in reversed(list(path.relative_to(dest).parents)[:-1]):
            (dest / folder).mkdir(exist_ok=True)
            os.chmod(str(dest / folder), 0o755)
        path.write_bytes(content)
        os.chmod(str(path), mode)
    return list(handout.files)


def build_handout(root: Path, dest: Path, force: bool = False) -> List[str]:
    """Generate the handout of the reference at `root` into `dest`; returns the files written (relative, sorted).

    Raises:
        HandoutError: for a malformed or missing source (nothing is written then).
        UsageError: for an unusable `dest` (see `check_destination`).
    """
    check_destination(dest, force, root)
    return write_handout(plan_handout(root), dest, force, root)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")  # one line, not usage + error


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write the handout; print what was written, or one line saying what is wrong."""
    parser = _Parser(prog="python -m tools.make_handout",
                     description="Write the student repository (the handout) generated from this reference.")
    parser.add_argument("dest", metavar="DIR", type=Path, help="where to write it: an empty or new folder")
    parser.add_argument("--force", action="store_true", help="empty DIR first if it is not empty")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the reference to read (default: this one)")
    args = parser.parse_args(argv)
    try:
        check_destination(args.dest, args.force, args.root)
        handout = plan_handout(args.root)
        written = write_handout(handout, args.dest, args.force, args.root)
    except UsageError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except HandoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for note in gap_notes(handout.gaps):
        print(f"Note: {note}", file=sys.stderr)
    names = ", ".join(g.name or g.function for g in handout.gaps)
    print(f"Wrote {len(written)} files to {args.dest}: {len(handout.gaps)} gaps ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
