"""The files of the handout that are generated: the Classroom workflow, the student README and setup.cfg.

* `render_workflow`: .github/workflows/classroom.yml in the form GitHub Classroom generates, one
  command-grader step per graded part of `GRADED_PARTS`, then the grading reporter.
* `render_readme`: the student README from its template (tools/handout_files/README.md), its gap and
  grading sections generated from the handout's gaps and the graded parts.
* `handout_setup_cfg`: the reference's setup.cfg reduced to the sections students need.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from tools.gaps import LocatedGap
from tools.graded_parts import GAPS, GRADED_PARTS, GradedPart
from tools.markers import HandoutError

TEMPLATES = "tools/handout_files"  # in the reference, like every other source
SETUP_CFG_SECTIONS = ("pycodestyle", "tool:pytest")  # what students need; the reference's tool sections stay
PYTHON_VERSION = "3.8"  # the sheet's version: the graded run checks that the code runs on it
SETUP_COMMAND = "pip install -r requirements.txt"
TIMEOUT_MINUTES = 10


def _yaml_scalar(value: str) -> str:
    """`value` as a plain YAML scalar where that is safe, else single-quoted."""
    if re.fullmatch(r"[A-Za-z0-9_./(][\w .,/()=+-]*", value) and not value.endswith(" "):
        return value
    return "'" + value.replace("'", "''") + "'"


def render_workflow(parts: Sequence[GradedPart] = GRADED_PARTS) -> str:
    """.github/workflows/classroom.yml as GitHub Classroom generates it: one command-grader step per part,
    then the reporter that adds up their results."""
    lines = ["# GitHub Classroom autograding, run on every push: one step per graded part of the sheet.",
             "# Pushes are limited: predict the grade first with `python -m tools.autograde`.",
             "name: Autograding Tests", "'on':", "- push", "- repository_dispatch", "permissions:",
             "  checks: write", "  actions: read", "  contents: read", "jobs:", "  run-autograding-tests:",
             "    runs-on: ubuntu-latest", "    if: github.actor != 'github-classroom[bot]'", "    steps:",
             "    - name: Checkout code", "      uses: actions/checkout@v4",
             "    - name: Set up Python", "      uses: actions/setup-python@v5", "      with:",
             f"        python-version: '{PYTHON_VERSION}'"]
    for part in parts:
        lines += [f"    - name: {_yaml_scalar(part.name)}", f"      id: {part.id}",
                  "      uses: classroom-resources/autograding-command-grader@v1", "      with:",
                  f"        test-name: {_yaml_scalar(part.name)}",
                  f"        setup-command: {_yaml_scalar(SETUP_COMMAND)}",
                  f"        command: {_yaml_scalar(part.command)}", f"        timeout: {TIMEOUT_MINUTES}",
                  f"        max-score: {part.points}"]
    lines += ["    - name: Autograding Reporter", "      uses: classroom-resources/autograding-grading-reporter@v1",
              "      env:"]
    lines += [f'        {part.id.upper()}_RESULTS: "${{{{steps.{part.id}.outputs.result}}}}"' for part in parts]
    lines += ["      with:", f"        runners: {','.join(part.id for part in parts)}"]
    return "\n".join(lines) + "\n"


def handout_setup_cfg(text: Optional[str]) -> str:
    """The reference's setup.cfg sections that students need (pycodestyle, pytest), as they are; a minimal
    [pycodestyle] section when the reference has none."""
    sections: Dict[str, List[str]] = {}
    current = None
    for line in (text or "").splitlines():
        header = re.fullmatch(r"\[([^\]]+)\]\s*", line)
        current = header.group(1).strip() if header else current
        if current is not None:
            sections.setdefault(current, []).append(line)
    if "pycodestyle" not in sections:
        sections["pycodestyle"] = ["[pycodestyle]", "max-line-length = 120"]
    kept = []
    for name in SETUP_CFG_SECTIONS:
        body = sections.get(name, [])
        while body and not body[-1].strip():
            body = body[:-1]
        if body:
            kept.append("\n".join(body) + "\n")
    return "\n".join(kept)


def _label(function: str, part_of: str) -> str:
    """How the README names a gap: its function, and which part of it where the gap is only a part."""
    return f"`{function}`" + (f" ({part_of})" if part_of else "")


def render_readme(template: str, gaps: Sequence[LocatedGap], parts: Sequence[GradedPart] = GRADED_PARTS) -> str:
    """The student README: the template with its @@GAPS@@ and @@PARTS@@ lines generated from the gaps and parts."""
    for placeholder in ("@@GAPS@@", "@@PARTS@@"):
        if template.count(placeholder) != 1:
            raise HandoutError(f"{TEMPLATES}/README.md: needs the line {placeholder} exactly once")
    specs = {spec.name: spec for spec in GAPS}
    by_file: Dict[str, List[str]] = {}
    for located in gaps:
        spec = specs.get(located.name or "")
        by_file.setdefault(located.file, []).append(_label(located.function, spec.part_of if spec else ""))
    gap_lines = "\n".join(f"- `{file}`: {', '.join(labels)}" for file, labels in by_file.items())
    part_lines = ["| part | points | tests | what it checks |", "| --- | --- | --- | --- |"]
    part_lines += [f"| {part.name} | {part.points} | {', '.join(f'`{t}`' for t in part.test_files)} | "
                   f"{', '.join(_label(specs[name].function, specs[name].part_of) for name in part.gaps)} |"
                   for part in parts]
    part_lines.append(f"| total | {sum(part.points for part in parts)} | | |")
    return template.replace("@@GAPS@@", gap_lines or "- (no gaps)").replace("@@PARTS@@", "\n".join(part_lines))
