"""Specification of `lib.cli.errors.run_script`: how a root script ends when something goes wrong."""
from types import SimpleNamespace

import numpy as np
import pytest

from lib.cli import errors
from lib.cli.errors import INTERRUPTED_STATUS, run_script
from lib.utilities import ArrayFileError, LibraryError, OutputFolderError, save_arrays


def test_a_library_error_becomes_one_line_on_stderr_and_status_1(capsys):
    def main():
        raise ArrayFileError("results/x.npz is not a readable .npz file of arrays (File is not a zip file)")

    with pytest.raises(SystemExit) as exit_info:
        run_script(main)
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "Error: results/x.npz is not a readable .npz file of arrays (File is not a zip file)\n"


def test_other_exceptions_are_bugs_and_keep_their_traceback():
    def main():
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_script(main)


def test_a_plain_value_error_is_not_mistaken_for_the_users_problem():
    def main():
        raise ValueError("inside the library")

    with pytest.raises(ValueError, match="inside the library"):
        run_script(main)


def test_argparse_exits_pass_through_unchanged():
    def main():
        raise SystemExit(2)

    with pytest.raises(SystemExit) as exit_info:
        run_script(main)
    assert exit_info.value.code == 2


def test_a_successful_main_returns_normally_and_creates_the_output_folder(tmp_path):
    calls = []
    run_script(lambda: calls.append("ran"), tmp_path / "results")
    assert calls == ["ran"] and (tmp_path / "results").is_dir()


def test_a_file_in_place_of_the_output_folder_stops_before_main_runs(tmp_path, capsys):
    (tmp_path / "results").write_text("not a folder")
    calls = []
    with pytest.raises(SystemExit) as exit_info:
        run_script(lambda: calls.append("ran"), tmp_path / "results")
    assert exit_info.value.code == 1 and calls == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"Error: {tmp_path / 'results'} is a file") and "rename or remove the file" in err


def test_output_folder_error_is_a_library_error_and_an_os_error():
    assert issubclass(OutputFolderError, LibraryError) and issubclass(OutputFolderError, OSError)
    assert issubclass(ArrayFileError, LibraryError) and issubclass(ArrayFileError, ValueError)


def test_ctrl_c_before_anything_is_saved_says_so_with_status_130(tmp_path, capsys):
    def main():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        run_script(main, tmp_path)
    assert exit_info.value.code == INTERRUPTED_STATUS == 130
    assert capsys.readouterr().err == f"Interrupted: nothing was saved; {tmp_path} is as it was.\n"


def test_ctrl_c_names_exactly_the_files_this_run_saved(tmp_path, capsys):
    save_arrays(tmp_path / "old.npz", {"a": np.zeros(2)})  # written before the run: not reported

    def main():
        save_arrays(tmp_path / "model.npz", {"a": np.ones(2)})
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        run_script(main, tmp_path)
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == f"Interrupted: saved {tmp_path / 'model.npz'}; nothing else was saved.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "old.npz"]


def test_ctrl_c_in_a_script_that_writes_nothing(capsys):
    def main():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        run_script(main)
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "Interrupted: nothing was saved.\n"


def test_a_folder_that_cannot_be_written_stops_before_main_runs(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):  # what the write probe meets in a read-only folder (root may write anywhere)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("lib.utilities.tempfile.TemporaryFile", refuse)
    calls = []
    with pytest.raises(SystemExit) as exit_info:
        run_script(lambda: calls.append("ran"), tmp_path / "results")
    assert exit_info.value.code == 1 and calls == []
    assert capsys.readouterr().err == (f"Error: cannot write to the output folder {tmp_path / 'results'} (Permission "
                                       f"denied): make it writable, or run from another working folder\n")


# ------------------------------------------------------------------ an exercise gap not filled in yet

GAP_MODULE = '''
def calculate_conv_output(input_shape):
    """A gap as the student's copy has it."""
    # START TODO ################
    # Compute the output size.
    raise NotImplementedError
    # END TODO ################


class Conv2d:
    def forward(self, x):
        # START TODO ################
        raise NotImplementedError
        # END TODO ################


def helper():
    raise NotImplementedError("an abstract helper, not a gap")


def calls_helper():
    # START TODO ################
    return helper()
    # END TODO ################
'''


@pytest.fixture
def gap_module(tmp_path, monkeypatch):
    """A module at <tmp>/lib/course.py with unfilled gaps, taken for a module of lib/."""
    path = tmp_path / "lib" / "course.py"
    path.parent.mkdir()
    path.write_text(GAP_MODULE, encoding="utf-8")
    monkeypatch.setattr(errors, "LIB_DIR", tmp_path / "lib")
    namespace = {}
    exec(compile(GAP_MODULE, str(path), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("call, function", [
    (lambda module: module["calculate_conv_output"]([7, 7]), "calculate_conv_output"),
    (lambda module: module["Conv2d"]().forward(None), "Conv2d.forward"),
])
def test_an_unfilled_gap_is_one_line_naming_the_file_and_function_with_status_1(gap_module, capsys, call, function):
    with pytest.raises(SystemExit) as exit_info:
        run_script(lambda: call(gap_module))
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (f'Error: lib/course.py: {function} is not implemented yet: fill in the gap '
                                       f'between "# START TODO" and "# END TODO"\n')


def innermost_frame(call):
    try:
        call()
    except NotImplementedError as error:
        traceback = error.__traceback__
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback.tb_frame


def test_the_function_is_named_with_its_class_also_where_code_has_no_qualified_name(gap_module):
    for call, name in ((lambda: gap_module["Conv2d"]().forward(None), "Conv2d.forward"),
                       (lambda: gap_module["calculate_conv_output"](None), "calculate_conv_output")):
        frame = innermost_frame(call)
        assert errors._function_name(frame) == name
        code = frame.f_code  # as Python 3.8 to 3.10 have it: no co_qualname
        older = SimpleNamespace(f_locals=frame.f_locals, f_code=SimpleNamespace(
            co_name=code.co_name, co_filename=code.co_filename, co_firstlineno=code.co_firstlineno))
        assert errors._function_name(older) == name


def test_a_not_implemented_error_that_is_no_gap_keeps_its_traceback(gap_module):
    with pytest.raises(NotImplementedError, match="an abstract helper"):  # raised in lib/, outside a gap
        run_script(gap_module["calls_helper"])

    def main():
        raise NotImplementedError("raised in the script, not in lib/")

    with pytest.raises(NotImplementedError, match="in the script"):
        run_script(main)


def test_the_librarys_own_not_implemented_methods_are_not_taken_for_gaps():
    from lib.activations import Softmax

    with pytest.raises(NotImplementedError):
        run_script(lambda: Softmax().backward(np.ones((1, 2))))
