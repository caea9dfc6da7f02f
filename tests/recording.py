"""`record(monkeypatch, module, name, calls, keep)`: watch the calls one function of the library receives.

Some of the library's decisions change no value (how many rows a block holds, which buffer is reused,
the dtype a statistic is rounded to before it meets the batch, the recipe a model is trained with), so
a test of the values passes whichever way they go; the calls they make still show them. `record`
replaces `module.<name>`, for the test's duration (monkeypatch restores it), by the same function that
first appends `keep(arguments)` to `calls`: `arguments` maps each parameter's name to its value, the
defaults filled in, however the call passed them.
"""
import inspect


def record(monkeypatch, module, name, calls, keep):
    """Append `keep(arguments)` to `calls` on every call of `module.<name>`, then make the call."""
    function = getattr(module, name)
    signature = inspect.signature(function)

    def recording(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append(keep(bound.arguments))
        return function(*args, **kwargs)
    monkeypatch.setattr(module, name, recording)
