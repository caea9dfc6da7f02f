"""Print what the project's PEP 8 check skips, as a value for `pycodestyle --exclude`.

The course checks style with `pycodestyle --max-line-length 120 .`. Run that way inside a repository
that holds a virtual environment, pycodestyle walks into it and reports thousands of findings in
installed packages. `runtests.sh` and `runtests.bat` therefore run the same command with
`--exclude="$(python tools/style_excludes.py)"`: setup.cfg's own `[pycodestyle] exclude` list (which a
command-line `--exclude` would otherwise replace) plus every virtual environment in the tree, whatever
its name: any folder holding a `pyvenv.cfg` (venv, virtualenv) or a `conda-meta` folder (conda).

Usage: python tools/style_excludes.py [ROOT]      (prints one comma-separated line)
"""
import configparser
import os
import sys
from pathlib import Path
from typing import List


def configured_excludes(root: Path) -> List[str]:
    """The `exclude` entries of setup.cfg's `[pycodestyle]` section (none without the file or the key)."""
    config = configparser.ConfigParser()
    config.read(str(root / "setup.cfg"))
    value = config.get("pycodestyle", "exclude", fallback="")
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def virtual_environments(root: Path) -> List[str]:
    """Every environment folder under `root`, as `./relative/path`, without descending into the ones found."""
    found = []
    for folder, subfolders, files in os.walk(str(root)):
        if "pyvenv.cfg" in files or "conda-meta" in subfolders:
            found.append("./" + Path(folder).relative_to(root).as_posix())
            subfolders[:] = []
        else:
            subfolders[:] = [name for name in subfolders if name != ".git"]
    return found


def style_excludes(root: Path) -> str:
    """setup.cfg's excludes and the environments under `root`, joined by commas for `--exclude`."""
    root = Path(root)
    entries = configured_excludes(root) + [path for path in virtual_environments(root) if path != "./."]
    return ",".join(dict.fromkeys(entries))


if __name__ == "__main__":
    print(style_excludes(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")))
