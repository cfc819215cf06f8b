"""Building blocks for checks: calling student code safely and explaining failures."""

from __future__ import annotations

import contextlib
import functools
import io
import warnings

import numpy as np

from dlcourse.runtime import quiet_logger


class CheckFailed(AssertionError):
    """A student's answer is wrong; the message is the feedback.

    IPython shows only the message: no traceback of library frames, no chained exception.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.__suppress_context__ = True

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self.args[0]}"]


def fail(task: str, problem: str, expected=None, got=None, hint: str | None = None):
    """Raise :class:`CheckFailed` with a uniform, specific message."""
    __tracebackhide__ = True
    lines = [f"[{task}] {problem}"]
    if expected is not None or got is not None:
        lines += [f"    expected: {_show(expected)}", f"    got:      {_show(got)}"]
    if hint:
        lines.append(f"    hint: {hint}")
    raise CheckFailed("\n".join(lines)) from None


def _show(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, threshold=20)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def passed(task: str, message: str) -> None:
    print(f"\N{CHECK MARK} {task}: {message}")


def require_callable(obj, task: str, name: str) -> None:
    __tracebackhide__ = True
    if not callable(obj):
        fail(task, f"{name} should be a function, but it is {type(obj).__name__}",
             hint=f"define it with `def {name}(...):` in the answer cell and run that cell")


def call(fn, *args, task: str, name: str, **kwargs):
    """Call student code; turn its exceptions into feedback that names the call."""
    __tracebackhide__ = True
    require_callable(fn, task, name)
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        fail(task, f"{name} is not written yet", hint="replace `raise NotImplementedError()` "
             "in the answer cell with your code, then run the cell")
    except Exception as exc:  # the student's bug, reported with the inputs that caused it
        shown = ", ".join([_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()])
        fail(task, f"{name}({shown}) raised {type(exc).__name__}: {exc}")



class EarlierTaskWrong(Exception):
    """Stops a check whose answer uses an earlier task that is wrong; `graded_alone` turns
    it into a note, so one mistake costs one task (the grader substitutes a correct one)."""


def graded_alone(check):
    """Decorator for a check whose answer calls earlier tasks: when one of those is wrong the
    check prints why it stopped and passes, instead of failing for someone else's bug."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        try:
            return check(*args, **kwargs)
        except EarlierTaskWrong as note:
            print(note)

    return wrapper


def blame_earlier(fn, task: str, earlier, is_right) -> None:
    """Stop the check (see `graded_alone`) at the first of the ``earlier`` tasks that is
    wrong, as ``fn`` sees it: ``is_right(fn, name)`` probes that task on a stored case."""
    __tracebackhide__ = True
    for name in earlier:
        if not is_right(fn, name):
            raise EarlierTaskWrong(f"! {task}: not checked, because {name} fails its own "
                                   f"check. Fix {name} first; {task} is graded with a "
                                   f"correct {name}.")


def call_blaming(fn, *args, task: str, name: str, earlier, is_right, **kwargs):
    """``call``, but when the answer fails, first blame an earlier task that is wrong: an
    error raised inside a wrong earlier function should not look like this task's bug."""
    __tracebackhide__ = True
    try:
        return call(fn, *args, task=task, name=name, **kwargs)
    except CheckFailed:
        blame_earlier(fn, task, earlier, is_right)
        raise


def as_array(value, task: str, what: str) -> np.ndarray:
    __tracebackhide__ = True
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(task, f"{what} should be numeric array-like, got {type(value).__name__}")


def close(got, expected, atol: float = 1e-6, rtol: float = 1e-6) -> bool:
    """Same shape and every element close (NaN equals NaN), in plain Python arithmetic, so
    an answer that patched NumPy's comparisons cannot fool a check."""
    try:
        got = np.array(got, dtype=float, subok=False)
    except (TypeError, ValueError):
        return False
    expected = np.array(expected, dtype=float, subok=False)
    if got.shape != expected.shape:
        return False
    for g, e in zip(got.ravel().tolist(), expected.ravel().tolist(), strict=True):
        if g != g or e != e:  # NaN
            if not (g != g and e != e):
                return False
        elif g != e and not abs(g - e) <= atol + rtol * abs(e):
            return False
    return True


def expect_close(got, expected, task: str, what: str, hint: str | None = None,
                 atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Check shape then values of an array-like result."""
    __tracebackhide__ = True
    arr = as_array(got, task, what)
    expected = np.asarray(expected, dtype=float)
    if arr.shape != expected.shape:
        fail(task, f"{what} has the wrong shape", f"shape {expected.shape}", f"shape {arr.shape}",
             hint)
    if not close(arr, expected, atol=atol, rtol=rtol):
        fail(task, f"{what} has the wrong values", expected, arr, hint)


@contextlib.contextmanager
def strict_numpy():
    """NumPy's overflow, divide and invalid warnings as errors (underflow to 0 is fine), so a
    check sees an unstable formula fail instead of a warning on stderr."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def quiet(check):
    """Decorator for checks that run Keras: TensorFlow's logger, warnings and the student's
    own prints (progress bars, debug lines) are muted, so only the check's verdict shows."""
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        out = io.StringIO()
        try:
            with quiet_logger("tensorflow"), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(out):
                warnings.simplefilter("ignore")
                return check(*args, **kwargs)
        finally:
            verdicts = [line for line in out.getvalue().splitlines()
                        if line.startswith("\N{CHECK MARK}")]
            if verdicts:
                print("\n".join(verdicts))

    return wrapper
