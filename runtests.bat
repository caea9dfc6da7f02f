@echo off
rem Run from the repository root: the test suite and the PEP 8 check (the course's
rem `pycodestyle --max-line-length 120 .`, skipping any virtual environment inside the repository:
rem tools\check_style.py). Both always run; the exit code is non-zero if either fails.
rem Extra arguments go to pytest.
python -m pytest %*
set TESTS_STATUS=%ERRORLEVEL%
python tools\check_style.py .
set STYLE_STATUS=%ERRORLEVEL%
if not "%TESTS_STATUS%"=="0" exit /b 1
if not "%STYLE_STATUS%"=="0" exit /b 1
exit /b 0
