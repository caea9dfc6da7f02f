"""`exactly(message)`: a `pytest.raises(match=...)` pattern that accepts that message and nothing else.

`match` searches, so a pattern that is part of the message passes for a longer or mangled one; a
message is part of the interface (it names the argument and what was wrong), so the mutation tests
pin it whole.
"""
import re


def exactly(message: str) -> str:
    """The regular expression matching `message` and only it."""
    return "^" + re.escape(message) + "$"
