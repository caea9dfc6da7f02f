"""How every root script ends when something goes wrong: one clear line, never a traceback for the user's problem.

`run_script(main)` runs a script's `main()`:
* the library's own errors (`lib.utilities.LibraryError`: a missing or broken data or model file, an
  unusable output folder, the course's missing-model error) become one line on stderr,
  `Error: <what is wrong, which file> <what to do>`, and exit status 1;
* Ctrl-C becomes one line saying which files under the output folder this run saved (every write is
  atomic, so nothing else there changed and no partial file is left), and exit status 130;
* an exercise gap that is not filled in yet (a `NotImplementedError` raised between the gap's markers in
  a lib module, as the student's copy has it) becomes one line naming the file and the function,
  `Error: lib/convolutions.py: calculate_conv_output is not implemented yet: fill in the gap ...`, and
  exit status 1;
* a warning of the library (e.g. `--show` where no window can open: the figure is still saved and
  the run goes on) is one line, `Note: ...`, shown once;
* any other exception is a bug and keeps its traceback.
Scripts that write results name their output folder; it is checked (created if missing) before `main`
starts, so a file standing in its place is reported at once, not after the training.
"""
from __future__ import annotations

import linecache
import sys
import warnings
from pathlib import Path
from types import TracebackType
from typing import Callable, Dict, Optional

from lib.utilities import LibraryError, PathLike, ensure_output_folder

INTERRUPTED_STATUS = 130  # the shell's status for a process ended by SIGINT (128 + 2)
LIB_DIR = Path(__file__).resolve().parent.parent
GAP_OPENS, GAP_ENDS = "# START TODO", "# END TODO"  # the gap markers, as the course's template writes them


def run_script(main: Callable[[], object], output_folder: Optional[PathLike] = None) -> None:
    """Run `main()` and turn the library's errors and Ctrl-C into one line on stderr and an exit status.

    Args:
        main: the script's entry point, called without arguments (it parses sys.argv itself).
        output_folder: where the script writes results (e.g. `lib.utilities.RESULTS_DIR`), checked before
            `main` runs; None for scripts that write nothing.

    Raises:
        SystemExit: 1 after a library error, 130 after Ctrl-C, or whatever `main` (argparse) exits with.
    """
    warnings.formatwarning = _one_line_note
    warnings.simplefilter("once", UserWarning)  # the same note for ten figures is said once
    before: Dict[Path, int] = {}
    try:
        if output_folder is not None:
            before = _file_times(ensure_output_folder(output_folder))
        main()
    except LibraryError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    except NotImplementedError as error:
        message = unfilled_gap_message(error.__traceback__)
        if message is None:
            raise  # not a gap: a NotImplementedError of the library's own (e.g. an abstract method) is a bug
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(_interrupted_message(output_folder, before), file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)


def unfilled_gap_message(traceback: Optional[TracebackType]) -> Optional[str]:
    """Which gap a NotImplementedError comes from, from its traceback's innermost frame in lib/.

    Returns:
        `lib/<file>.py: <function> is not implemented yet: fill in the gap between "# START TODO" and
        "# END TODO"` when that frame stopped on a `raise NotImplementedError` between a gap's markers;
        None otherwise (raised outside lib/, or in lib/ but not by a gap's placeholder).
    """
    frame, line = None, 0
    while traceback is not None:
        path = Path(traceback.tb_frame.f_code.co_filename).resolve()
        if LIB_DIR in path.parents:
            frame, line = traceback.tb_frame, traceback.tb_lineno
        traceback = traceback.tb_next
    if frame is None or not _is_gap_placeholder(frame.f_code.co_filename, line):
        return None
    where = Path(frame.f_code.co_filename).resolve().relative_to(LIB_DIR.parent).as_posix()
    return (f'{where}: {_function_name(frame)} is not implemented yet: fill in the gap between '
            f'"{GAP_OPENS}" and "{GAP_ENDS}"')


def _is_gap_placeholder(filename: str, line: int) -> bool:
    """Whether `line` of the file is a `raise NotImplementedError` between a `# START TODO` line and the
    `# END TODO` that follows it."""
    if not linecache.getline(filename, line).strip().startswith("raise NotImplementedError"):
        return False
    for number in range(line - 1, 0, -1):
        text = linecache.getline(filename, number).strip()
        if text.startswith(GAP_ENDS):
            return False
        if text.startswith(GAP_OPENS):
            return True
    return False


def _function_name(frame) -> str:
    """The frame's function with its class, e.g. `Conv2d.forward` (Python < 3.11 has no co_qualname)."""
    code = frame.f_code
    qualified = getattr(code, "co_qualname", None)
    if qualified:
        return qualified
    owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
    classes = owner.__mro__ if isinstance(owner, type) else type(owner).__mro__ if owner is not None else ()
    for cls in classes:
        function = cls.__dict__.get(code.co_name)
        defined = getattr(getattr(function, "__func__", function), "__code__", None)  # also class/static methods
        if defined is not None and (defined.co_filename, defined.co_firstlineno) == (code.co_filename,
                                                                                     code.co_firstlineno):
            return f"{cls.__qualname__}.{code.co_name}"
    return code.co_name


def _one_line_note(message, category, filename, lineno, line=None) -> str:
    """`warnings.formatwarning` for scripts: `Note: <message>`, without the file, line and source that
    Python's default format adds (they speak to a developer, not to the user of a script)."""
    return f"Note: {message}\n"


def _file_times(folder: Path) -> Dict[Path, int]:
    """Modification time (ns) of every file under `folder`."""
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}


def _interrupted_message(output_folder: Optional[PathLike], before: Dict[Path, int]) -> str:
    """One line: interrupted, and which files of the output folder this run saved (new or rewritten)."""
    if output_folder is None or not Path(output_folder).is_dir():
        return "Interrupted: nothing was saved."
    saved = sorted(str(path) for path, time in _file_times(Path(output_folder)).items() if before.get(path) != time)
    if not saved:
        return f"Interrupted: nothing was saved; {output_folder} is as it was."
    return f"Interrupted: saved {', '.join(saved)}; nothing else was saved."
