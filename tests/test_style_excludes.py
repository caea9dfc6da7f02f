"""Specification of the style check runtests.sh/.bat run: the course's `pycodestyle --max-line-length 120 .`
over the whole project, skipping setup.cfg's excludes and every virtual environment, whatever its name."""
import subprocess
import sys

from tools.style_excludes import style_excludes, virtual_environments

LONG_LINE = "x = " + "1 + " * 40 + "1\n"  # 165 characters


def make_environment(folder, marker="pyvenv.cfg"):
    (folder / "lib").mkdir(parents=True)
    if marker == "conda-meta":
        (folder / "conda-meta").mkdir()
    else:
        (folder / marker).write_text("home = /usr/bin\n")
    (folder / "lib" / "installed.py").write_text(LONG_LINE)


def course_style_check(root):
    """The command runtests.sh runs, in `root`."""
    return subprocess.run([sys.executable, "-m", "pycodestyle", "--max-line-length", "120",
                           f"--exclude={style_excludes(root)}", "."], cwd=str(root), capture_output=True, text=True)


def test_environments_of_any_name_and_the_configured_folders_are_skipped(tmp_path):
    (tmp_path / "good.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text("[pycodestyle]\nmax-line-length = 120\nexclude = .git,build\n")
    for name in ("dlenv", ".env", "nested/my venv"):
        make_environment(tmp_path / name)
    make_environment(tmp_path / "env", marker="conda-meta")
    make_environment(tmp_path / "build", marker="none.txt")  # not an environment, but configured
    assert sorted(virtual_environments(tmp_path)) == ["./.env", "./dlenv", "./env", "./nested/my venv"]
    assert style_excludes(tmp_path).split(",")[:2] == [".git", "build"]
    result = course_style_check(tmp_path)
    assert result.returncode == 0 and result.stdout == ""


def test_a_long_line_outside_the_environments_is_reported(tmp_path):
    make_environment(tmp_path / "dlenv")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "module.py").write_text(LONG_LINE)
    result = course_style_check(tmp_path)
    assert result.returncode == 1
    assert result.stdout == "./pkg/module.py:1:121: E501 line too long (165 > 120 characters)\n"
