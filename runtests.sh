#!/usr/bin/env bash
# Run from the repository root: the test suite and the PEP 8 check (the course's
# `pycodestyle --max-line-length 120 .`, skipping any virtual environment inside the repository:
# tools/check_style.py). Both always run; the exit status is non-zero if either fails.
# Extra arguments go to pytest (e.g. ./runtests.sh -q -k conv).
python -m pytest "$@"; tests_status=$?
python tools/check_style.py .; style_status=$?
[ "$tests_status" -eq 0 ] && [ "$style_status" -eq 0 ]
