"""How every root script ends when something goes wrong: one clear line, never a traceback for the user's problem.

`run_script(main)` runs a script's `main()`:
* the library's own errors (`lib.utilities.LibraryError`: a missing or broken data or model file, an
  unusable output folder, the course's missing-model error) become one line on stderr,
  `Error: <what is wrong, which file> <what to do>`, and exit status 1;
* Ctrl-C becomes one line saying which files under the output folder this run saved (every write is
  atomic, so nothing else there changed and no partial file is left), and exit status 130;
* a warning of the library (e.g. `--show` where no window can open: the figure is still saved and
  the run goes on) is one line, `Note: ...`, shown once;
* any other exception is a bug and keeps its traceback.
Scripts that write results name their output folder; it is checked (created if missing) before `main`
starts, so a file standing in its place is reported at once, not after the training.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Callable, Dict, Optional

from lib.utilities import LibraryError, PathLike, ensure_output_folder

INTERRUPTED_STATUS = 130  # the shell's status for a process ended by SIGINT (128 + 2)


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
    except KeyboardInterrupt:
        print(_interrupted_message(output_folder, before), file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)


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
