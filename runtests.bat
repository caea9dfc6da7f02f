@echo off
rem Run from the repository root: the test suite and the course's PEP 8 check,
rem `pycodestyle --max-line-length 120 .`, told to skip setup.cfg's excludes and any virtual environment
rem inside the repository, whatever its name (tools\style_excludes.py lists them).
rem Both always run; the exit code is non-zero if either fails. Extra arguments go to pytest.
python -m pytest %*
set TESTS_STATUS=%ERRORLEVEL%
for /f "delims=" %%e in ('python tools\style_excludes.py') do set STYLE_EXCLUDES=%%e
pycodestyle --max-line-length 120 --exclude="%STYLE_EXCLUDES%" .
set STYLE_STATUS=%ERRORLEVEL%
if not "%TESTS_STATUS%"=="0" exit /b 1
if not "%STYLE_STATUS%"=="0" exit /b 1
exit /b 0
