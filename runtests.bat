@echo off
rem Run from the repository root: the test suite and the PEP 8 check. Both always run;
rem the exit code is non-zero if either fails. Extra arguments go to pytest.
python -m pytest %*
set TESTS_STATUS=%ERRORLEVEL%
pycodestyle --max-line-length 120 .
set STYLE_STATUS=%ERRORLEVEL%
if not "%TESTS_STATUS%"=="0" exit /b 1
if not "%STYLE_STATUS%"=="0" exit /b 1
exit /b 0
