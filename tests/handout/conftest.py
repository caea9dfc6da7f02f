"""The markers of the exercise's tests.

`gap(name)` names the part of the exercise a test grades (the function with the `# START TODO` gap),
so a test fails only when that part is wrong. `course` marks the course's own tests: their inputs and
expected numbers are the course's.
"""


def pytest_configure(config):
    config.addinivalue_line("markers", "gap(name): the exercise gap (the function to complete) that the test checks")
    config.addinivalue_line("markers", "course: one of the course's own tests, with the course's inputs and numbers")
