"""Specification of the style check that runtests.sh/.bat run: the whole project at 120 columns, but no
virtual environment inside it, whatever its name."""
from tools.check_style import check_style, virtual_environments

LONG_LINE = "x = " + "1 + " * 40 + "1\n"  # 165 characters


def make_venv(folder):
    folder.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (folder / "lib").mkdir()
    (folder / "lib" / "installed.py").write_text(LONG_LINE)


def test_virtual_environments_of_any_name_are_skipped(tmp_path, capsys):
    (tmp_path / "good.py").write_text("x = 1\n")
    for name in ("dlenv", ".env", "nested/my venv"):
        make_venv(tmp_path / name)
    assert sorted(path.name for path in virtual_environments(tmp_path)) == [".env", "dlenv", "my venv"]
    assert check_style(tmp_path) == 0
    assert capsys.readouterr().out == ""


def test_a_long_line_outside_a_virtual_environment_is_reported(tmp_path, capsys):
    make_venv(tmp_path / "dlenv")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "module.py").write_text(LONG_LINE)
    assert check_style(tmp_path) == 1
    out = capsys.readouterr().out
    assert "module.py:1:121: E501 line too long (165 > 120 characters)" in out and "installed.py" not in out
