"""A pytest plugin for `tools.check_handout`: every test's outcome, its gap and whether it is one of the course's.

Loaded with `-p handout_report` (tools/ on PYTHONPATH). With the environment variable HANDOUT_GAP set, only
the tests of that gap run (the others are deselected). It writes a JSON object to the file named by the
environment variable HANDOUT_REPORT: {node id: {"outcome": "passed" | "failed" | "skipped", "gaps": [...],
"course": bool, "message": the first line of the failure}}. A test fails when any of its phases fails.
"""
from __future__ import annotations

import json
import os

_results = {}


def pytest_collection_modifyitems(config, items):
    only = os.environ.get("HANDOUT_GAP")
    if only:
        deselected = [item for item in items if only not in [m.args[0] for m in item.iter_markers("gap") if m.args]]
        items[:] = [item for item in items if item not in deselected]
        config.hook.pytest_deselected(items=deselected)
    for item in items:
        _results[item.nodeid] = {"outcome": "passed", "gaps": [m.args[0] for m in item.iter_markers("gap") if m.args],
                                 "course": item.get_closest_marker("course") is not None, "message": ""}


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "gaps": [], "course": False, "message": ""})
    if report.failed and entry["outcome"] != "failed":
        entry["outcome"] = "failed"
        text = str(report.longrepr.reprcrash.message) if hasattr(report.longrepr, "reprcrash") else str(report.longrepr)
        entry["message"] = text.strip().splitlines()[0] if text.strip() else ""
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session):
    path = os.environ.get("HANDOUT_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_results, f)
