#!/usr/bin/env bash
# Run from the repository root: the test suite and the course's PEP 8 check,
# `pycodestyle --max-line-length 120 .`, told to skip setup.cfg's excludes and any virtual environment
# inside the repository, whatever its name (tools/style_excludes.py lists them).
# Both always run; the exit status is non-zero if either fails. Extra arguments go to pytest.
python -m pytest "$@"; tests_status=$?
pycodestyle --max-line-length 120 --exclude="$(python tools/style_excludes.py)" .; style_status=$?
[ "$tests_status" -eq 0 ] && [ "$style_status" -eq 0 ]
