"""Specification of the local GitHub Classroom emulation (`python -m tools.autograde`) and its config generator."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.autograde import (AutogradingConfigError, Entry, default_config, load_config, load_workflow, main,
                             parse_yaml, run_entry)
from tools.make_autograding import build_config, render

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = f'"{sys.executable}"'  # absolute: the classroom environment has only PATH


def python_command(code: str) -> str:
    return f'{PYTHON} -c "{code}"'


def write_config(directory: Path, tests: list) -> Path:
    path = directory / "autograding.json"
    path.write_text(json.dumps({"tests": tests}), encoding="utf-8")
    return path


def entry(name: str, run: str, **fields) -> dict:
    fields.setdefault("points", 1)
    fields.setdefault("timeout", 1)
    return dict(name=name, run=run, **fields)


def run_main(tmp_path: Path, tests: list, *options: str):
    config = write_config(tmp_path, tests)
    return main(["--config", str(config), "--root", str(tmp_path)] + list(options))


def test_failing_entry_is_reported_failing_and_points_are_summed(tmp_path, capsys):
    status = run_main(tmp_path, [
        entry("passes", python_command("raise SystemExit(0)"), points=3),
        entry("fails", python_command("import sys; print('why it broke'); sys.exit(1)"), points=5),
        entry("passes too", python_command("print(42)"), points=4),
    ])
    out = capsys.readouterr().out
    assert status == 1
    assert "[PASS] passes: 3/3 points" in out
    assert "[FAIL] fails: 0/5 points" in out and "run exited with code 1" in out
    assert "\n    why it broke\n" in out  # a failing entry shows the tail of its output
    assert "[PASS] passes too: 4/4 points" in out and "    42" not in out  # a passing one does not
    assert "Points 7/12" in out
    assert "1 failed: fails" in out


def test_all_passing_gives_exit_status_zero_and_show_output_prints_every_output(tmp_path, capsys):
    status = run_main(tmp_path, [entry("a", python_command("print(42)"), points=2), entry("b", python_command("pass"))],
                      "--show-output")
    out = capsys.readouterr().out
    assert status == 0
    assert re.search(r"\[PASS\] a: 2/2 points, \d+\.\d s\n    42\n", out)
    assert "Points 3/3" in out and "All tests passed" in out


def test_commands_run_in_the_root_directory_through_the_shell(tmp_path):
    (tmp_path / "marker.txt").write_text("here", encoding="utf-8")
    result = run_entry(Entry("cwd", python_command("open('marker.txt').read()") + " && exit 0", points=1),
                       tmp_path)
    assert result.passed, result.output


def test_timeout_in_minutes_stops_the_command_and_fails_the_entry(tmp_path, capsys):
    start = time.monotonic()
    status = run_main(tmp_path, [entry("slow", python_command("import time; time.sleep(60)"), timeout=0.02),
                                 entry("fast", python_command("pass"))])
    elapsed = time.monotonic() - start
    out = capsys.readouterr().out
    assert status == 1
    assert "[FAIL] slow: 0/1 points" in out and "run timed out after 0.02 min" in out
    assert "[PASS] fast" in out
    assert elapsed < 20  # 0.02 min = 1.2 s, not the 60 s sleep


def test_timeout_covers_setup_and_run_together(tmp_path):
    sleep = python_command("import time; time.sleep(1.0)")
    result = run_entry(Entry("shared budget", run=sleep, setup=sleep, timeout_minutes=1.5 / 60), tmp_path,
                       with_setup=True)
    assert not result.passed and result.reason == "run timed out after 0.025 min"


def test_setup_is_skipped_unless_asked_for_and_a_failing_setup_fails_the_entry(tmp_path):
    made = Entry("setup", setup=python_command("open('made.txt', 'w').close()"),
                 run=python_command("import os, sys; sys.exit(0 if os.path.exists('made.txt') else 1)"))
    assert not run_entry(made, tmp_path).passed
    assert run_entry(made, tmp_path, with_setup=True).passed
    result = run_entry(Entry("bad setup", setup=python_command("raise SystemExit(4)"), run=python_command("pass")),
                       tmp_path, with_setup=True)
    assert not result.passed and result.reason == "setup exited with code 4"


def test_input_goes_to_stdin_and_the_output_must_include_the_expected_text(tmp_path):
    echo = python_command("print('a =', int(input()) * 2, end='\\r\\nb = 2\\r\\n')")
    assert run_entry(Entry("doubles", run=echo, input="21\n", output="42\nb = 2"), tmp_path).passed
    result = run_entry(Entry("doubles", run=echo, input="21\n", output="43"), tmp_path)
    assert not result.passed and result.reason == "output did not match (included)"
    assert run_entry(Entry("exit status only", run=echo, input="21\n"), tmp_path).passed  # no output: not compared


def test_commands_get_only_the_classroom_environment_unless_inherited(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADE_PROBE", "1")
    probe = python_command("import os, sys; sys.exit(0 if 'AUTOGRADE_PROBE' in os.environ else 1)")
    assert not run_entry(Entry("env", run=probe), tmp_path).passed
    assert run_entry(Entry("env", run=probe), tmp_path, env=dict(os.environ)).passed


@pytest.mark.parametrize("content, match", [
    ("not json", r"cannot read autograding config .*Expecting value"),
    ('{"entries": []}', r'must be an object \{"tests": \[...\]\}'),
    ('{"tests": [{"name": "x"}]}', r"^tests\[0\] \(x\): field 'run' is missing$"),
    ('{"tests": [{"name": "x", "run": "true", "comparison": "regex"}]}',
     r"^tests\[0\] \(x\): comparison 'regex' is not supported \(only 'included'\)$"),
    ('{"tests": [{"name": "x", "run": "true", "extra": true}]}',
     r"^tests\[0\] \(x\): field 'extra' is not supported by this tool$"),
    ('{"tests": [{"name": "x", "run": "true", "timeout": "10"}]}', r"^tests\[0\] \(x\): field 'timeout' has the wrong"),
    ('{"tests": [{"name": "x", "run": "true", "points": true}]}', r"^tests\[0\] \(x\): field 'points' has the wrong"),
    ('{"tests": [{"name": "x", "run": "true", "points": -1}]}', r"^tests\[0\] \(x\): field 'points' must be >= 0"),
])
def test_invalid_or_unsupported_config_raises_a_clear_error(tmp_path, content, match):
    path = tmp_path / "autograding.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AutogradingConfigError, match=match):
        load_config(path)


def test_an_unsupported_entry_is_refused_in_one_line_before_anything_runs(tmp_path, capsys):
    status = run_main(tmp_path, [entry("ok", python_command("open('ran.txt', 'w').close()")),
                                 entry("exact", python_command("pass"), output="x", comparison="exact")])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == "" and not (tmp_path / "ran.txt").exists()
    assert captured.err == "error: tests[1] (exact): comparison 'exact' is not supported (only 'included')\n"
    assert main(["--config", str(tmp_path / "missing.json")]) == 2
    assert "cannot read autograding config" in capsys.readouterr().err


def test_committed_config_runs_each_listed_test_file_with_pytest():
    config = REPO_ROOT / ".github" / "classroom" / "autograding.json"
    entries = load_config(config)
    assert entries, "autograding.json lists no tests"
    for item in entries:
        assert re.fullmatch(r"tests/test_\w+\.py", item.name)
        assert (REPO_ROOT / item.name).is_file(), f"{item.name} is listed but does not exist"
        assert item.run == f"python -m pytest {item.name}"
        assert item.setup == "pip install -r requirements.txt"
        assert item.points > 0 and item.timeout_minutes > 0
    # The file is exactly what the generator writes for the files it lists (regenerate, never hand-edit).
    names = [item.name for item in entries]
    assert config.read_text(encoding="utf-8") == render(build_config(names, entries[0].points,
                                                                     entries[0].timeout_minutes))


def test_committed_config_lists_every_test_file():
    """A new test file must reach the classroom grader: regenerate with `python -m tools.make_autograding`."""
    listed = {item.name for item in load_config(REPO_ROOT / ".github" / "classroom" / "autograding.json")}
    present = {f"tests/{path.name}" for path in (REPO_ROOT / "tests").glob("test_*.py")}
    assert present == listed


def test_workflow_runs_the_classroom_action_on_push_to_master():
    workflow = (REPO_ROOT / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8")
    assert re.search(r"on:\s*\n\s*push:\s*\n\s*branches: \[master\]", workflow)
    assert "uses: education/autograding@v1" in workflow
    assert "checks: write" in workflow


def test_tools_run_as_modules_from_the_repository_root(tmp_path):
    config = write_config(tmp_path, [entry("ok", python_command("pass"), points=2)])
    for arguments, expected in ((["tools.autograde", "--config", str(config), "--root", str(tmp_path)], "Points 2/2"),
                                (["tools.make_autograding", "--help"], "usage: python -m tools.make_autograding")):
        result = subprocess.run([sys.executable, "-m"] + arguments, cwd=str(REPO_ROOT), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and expected in result.stdout, result.stderr


# ------------------------------------------------------------------ the workflow form GitHub Classroom generates

CLASSROOM_WORKFLOW = """name: Autograding Tests
'on':
- push
- repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
    - name: Checkout code
      uses: actions/checkout@v4
    - name: output size
      id: output-size
      uses: classroom-resources/autograding-command-grader@v1
      with:
        test-name: output size
        setup-command: ''
        command: {passes}
        timeout: 10
        max-score: 3
    - name: greeting
      id: greeting
      uses: classroom-resources/autograding-io-grader@v1
      with:
        test-name: greeting
        setup-command: ''
        command: {greets}
        input: ''
        expected-output: |-
          hello
          world
        comparison-method: contains
        timeout: 5
    - name: fails
      id: fails
      uses: education/autograding-command-grader@v1
      with:
        test-name: fails
        command: {fails}
        max-score: 4
    - name: not counted
      id: not-counted
      uses: classroom-resources/autograding-command-grader@v1
      with:
        test-name: not counted
        command: {fails}
    - name: Autograding Reporter
      uses: classroom-resources/autograding-grading-reporter@v1
      env:
        OUTPUT-SIZE_RESULTS: "${{{{steps.output-size.outputs.result}}}}"
        GREETING_RESULTS: "${{{{steps.greeting.outputs.result}}}}"
        FAILS_RESULTS: "${{{{steps.fails.outputs.result}}}}"
      with:
        runners: output-size,greeting,fails
"""


def classroom_workflow() -> str:
    commands = {"passes": python_command("pass"), "greets": python_command("print('hello'); print('world')"),
                "fails": python_command("raise SystemExit(3)")}
    return CLASSROOM_WORKFLOW.format(**{key: "'" + command.replace("'", "''") + "'"  # YAML's single quotes
                                        for key, command in commands.items()})


def write_workflow(directory: Path, text: str) -> Path:
    path = directory / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_yaml_reader_reads_what_classroom_workflows_use():
    text = ("name: x\n'on':\n- push\non2: [a, 'b c', \"d\"]\njobs:\n  j:\n    steps:\n"
            "    - name: one  # comment\n      with:\n        literal: |\n          a\n\n          b\n"
            "        folded: >-\n          a\n          b\n"
            "        quoted: 'it''s'\n        double: \"tab\\there\"\n        long: python -m pytest\n"
            "          tests/a.py\n        empty:\n    -\n      name: two\n")
    assert parse_yaml(text) == {"name": "x", "on": ["push"], "on2": ["a", "b c", "d"], "jobs": {"j": {"steps": [
        {"name": "one", "with": {"literal": "a\n\nb\n", "folded": "a b", "quoted": "it's", "double": "tab\there",
                                 "long": "python -m pytest tests/a.py", "empty": ""}},
        {"name": "two"}]}}}


@pytest.mark.parametrize("text, match", [
    ("a: &anchor x\n", r"^w\.yml:1: anchors, aliases and tags are not supported"),
    ("a:\n  b: 1\n    c: 2\n", r"^w\.yml:3: unexpected indentation$"),
    ("a: 'open\n", r"^w\.yml:1: unterminated quoted string"),
    ("a: 1\na: 2\n", r"^w\.yml:2: duplicate key 'a'$"),
    ("a: {b: 1}\n", r"^w\.yml:1: flow mappings are not supported"),
])
def test_the_yaml_reader_refuses_what_it_does_not_read_naming_the_line(text, match):
    with pytest.raises(AutogradingConfigError, match=match):
        parse_yaml(text, "w.yml")


def test_the_workflows_steps_are_the_reporters_runners_in_order(tmp_path):
    entries = load_workflow(write_workflow(tmp_path, classroom_workflow()))
    assert [(e.name, e.points, e.timeout_minutes, e.action, e.comparison) for e in entries] == [
        ("output size", 3, 10, "command-grader", ""), ("greeting", 0, 5, "io-grader", "contains"),
        ("fails", 4, 10, "command-grader", "")]  # "not counted" is not a runner: the reporter ignores it
    assert entries[1].output == "hello\nworld" and entries[0].setup == ""


def test_the_workflow_is_graded_per_step_and_in_total_as_the_reporter_adds_it_up(tmp_path, capsys):
    write_workflow(tmp_path, classroom_workflow())
    (tmp_path / ".github" / "classroom").mkdir()
    write_config(tmp_path / ".github" / "classroom", [entry("json entry", python_command("pass"), points=50)])
    status = main(["--root", str(tmp_path)])  # the workflow's steps win over autograding.json
    out = capsys.readouterr().out
    assert status == 1
    assert "[PASS] output size: 3/3 points" in out and "[PASS] greeting: 0/0 points" in out
    assert "[FAIL] fails: 0/4 points" in out and "run exited with code 3" in out
    assert "Points 3/7" in out and "json entry" not in out and "not counted" not in out


def test_autograding_json_is_used_when_the_workflow_has_no_grader_steps(tmp_path):
    write_workflow(tmp_path, "on: push\njobs:\n  build:\n    steps:\n      - uses: education/autograding@v1\n")
    assert default_config(tmp_path) == tmp_path / ".github" / "classroom" / "autograding.json"
    write_workflow(tmp_path, classroom_workflow())
    assert default_config(tmp_path) == tmp_path / ".github" / "workflows" / "classroom.yml"
    assert default_config(REPO_ROOT).name == "autograding.json"  # this repository grades with the older form


@pytest.mark.parametrize("change, match", [
    (('GREETING_RESULTS: "${{steps.greeting', 'GREETING_RESULTS: "${{steps.fails'),
     r"step 'greeting': the reporter needs env GREETING_RESULTS: \"\$\{\{steps\.greeting\.outputs\.result\}\}\"$"),
    (("runners: output-size,greeting,fails", "runners: output-size,nowhere"),
     r"step 'nowhere': the reporter lists it, but no grader step has this id$"),
    (("runners: output-size,greeting,fails", "runners: output-size,output-size"), r"lists a runner twice"),
    (("runners: output-size,greeting,fails", "runners: ''"), r"the reporter step lists no runners"),
    (("max-score: 3", "max-score: 2.5"), r"step 'output-size': max-score must be a whole number >= 0, got '2\.5'$"),
    (("timeout: 10", "timeout: soon"), r"step 'output-size': timeout must be a number of minutes > 0"),
    (("comparison-method: contains", "comparison-method: included"), r"comparison-method 'included' is not one of"),
    (("        input: ''\n", "        input: ''\n        retries: 2\n"), r"input 'retries' is not supported"),
    (("uses: education/autograding-command-grader@v1", "uses: classroom-resources/autograding-python-grader@v1"),
     r"step 'fails': the reporter lists it, but no grader step has this id$"),
    (("    - name: Autograding Reporter\n", "    - uses: classroom-resources/autograding-grading-reporter@v1\n"
      "    - name: Autograding Reporter\n"), r"expected one autograding-grading-reporter step, found 2$"),
])
def test_a_workflow_the_reporter_could_not_grade_is_refused_in_one_line(tmp_path, capsys, change, match):
    path = write_workflow(tmp_path, classroom_workflow().replace(*change))
    with pytest.raises(AutogradingConfigError, match=match):
        load_workflow(path)
    assert main(["--config", str(path), "--root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1


def test_the_graders_give_setup_and_command_each_the_whole_timeout(tmp_path):
    sleep = python_command("import time; time.sleep(1.0)")
    entry_ = Entry("own budgets", run=sleep, setup=sleep, timeout_minutes=1.5 / 60, action="command-grader")
    assert run_entry(entry_, tmp_path, with_setup=True).passed  # 1 s + 1 s, each within 1.5 s
    slow = python_command("import time; time.sleep(3)")
    result = run_entry(Entry("slow", run=slow, timeout_minutes=1 / 60, action="command-grader"), tmp_path)
    assert not result.passed and result.reason == "run timed out after 0.0166667 min"


@pytest.mark.parametrize("comparison, expected, passed", [
    ("exact", "hello\nworld", True), ("exact", "hello", False), ("contains", "lo\nwo", True),
    ("contains", "bye", False), ("regex", r"^hel+o\s+w", True), ("regex", r"^world", False),
])
def test_the_io_grader_compares_the_trimmed_output(tmp_path, comparison, expected, passed):
    run = python_command("print(); print('hello'); print('world  ')")
    result = run_entry(Entry("io", run=run, output=expected, comparison=comparison, action="io-grader"), tmp_path)
    assert result.passed is passed
    if not passed:
        assert result.reason == f"output did not match ({comparison})"


def test_the_graders_environment_has_home_and_the_old_actions_has_not(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    probe = python_command("import os, sys; sys.exit(0 if os.environ.get('HOME') else 1)")
    assert run_entry(Entry("home", run=probe, action="command-grader"), tmp_path).passed
    assert not run_entry(Entry("home", run=probe), tmp_path).passed
