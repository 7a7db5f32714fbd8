"""What every check shares: the result it returns and the safe way to call a reader's function.

A check runs a reader's function on small inputs it makes itself (seeded, so the feedback is the
same every time) and returns a :class:`CheckResult`. It never raises because of the reader's code:
an exception, a warning, an overflow or a ``None`` all become a message that says which input
failed, what was expected, what came back, and where in the book to look.

A check is written as a straight line of steps. A step that finds a problem raises
:class:`Failure`; the :func:`check` decorator turns that into a failed result, and a run that
reaches the end into a passed one.
"""

from __future__ import annotations

import dis
import functools
import html
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["CheckResult", "Failure", "check", "call", "as_array", "expect_shape", "show",
           "same_values", "first_bad", "does_nothing"]

#: What a reader's function returns before it is written: the starter's body is ``...``.
NOT_ANSWERED = ("not answered yet: your function returned None. Replace the `...` in its body "
                "with your code, and `return` the result.")
NOT_WRITTEN = ("not answered yet: your function's body is still `...`, so it does nothing. "
               "Replace the `...` with your code.")


def does_nothing(fn: Callable) -> bool:
    """True if ``fn`` is a plain function whose body does nothing (``...``, ``pass``, a docstring).

    Such a body compiles to nothing but ``return None``. This tells an untouched starter from an
    answer even when the exercise's function legitimately returns None (one that updates arrays
    in place).
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    ops = [(i.opname, i.argval) for i in dis.get_instructions(code)
           if i.opname not in ("RESUME", "NOP", "CACHE")]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: truthy if and only if it passed.

    ``message`` is for the reader: on failure it names the input that failed, what was expected,
    what came back, and a hint pointing at the chapter's section or exercise. A notebook shows it
    as a coloured box; ``print`` and the terminal show the text.
    """

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "PASSED" if self.passed else "NOT YET"
        return f"{self.name}: {mark}\n{self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, border, mark = (("#e9f7ef", "#2e7d32", "&#10004; passed") if self.passed
                                else ("#fdecea", "#c62828", "&#10008; not yet"))
        # Dark text on a light box, whatever the page's theme (light or dark).
        return (f'<div style="background:{colour};color:#1a1a1a;border-left:4px solid {border};'
                f'padding:0.5em 0.8em;white-space:pre-wrap;overflow-wrap:anywhere;'
                f'font-family:monospace">'
                f"<b>{html.escape(self.name)}: {mark}</b>\n{html.escape(self.message)}</div>")


class Failure(Exception):
    """Raised inside a check when the reader's function does something wrong.

    ``problem`` says what is wrong in one or two sentences; ``inputs``, ``expected`` and ``got``
    are shown below it (already formatted, or arrays to format); ``hint`` says where to look.
    """

    def __init__(self, problem: str, *, inputs: str | None = None, expected: Any = None,
                 got: Any = None, hint: str | None = None):
        super().__init__(problem)
        self.problem, self.inputs, self.expected, self.got, self.hint = (
            problem, inputs, expected, got, hint)

    def message(self, default_hint: str) -> str:
        lines = [self.problem]
        if self.inputs is not None:
            lines.append(f"  input:    {self.inputs}")
        if self.expected is not None:
            lines.append(f"  expected: {show(self.expected)}")
        if self.got is not None:
            lines.append(f"  got:      {show(self.got)}")
        lines.append(f"Hint: {self.hint or default_hint}")
        return "\n".join(lines)


def show(value: Any) -> str:
    """A short, readable form of a value for a message: arrays on one line, few digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        body = np.array2string(value, precision=6, threshold=12, edgeitems=2,
                               max_line_width=10_000, separator=", ")
        body = " ".join(body.split())
        return f"{body}  (shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


def check(default_hint: str) -> Callable:
    """Decorate a check ``fn -> str`` (the success message) so that it returns a CheckResult.

    A :class:`Failure` becomes a failed result with ``default_hint`` unless it names its own; any
    other exception (a bug in the check, or a reader's object it cannot examine) becomes a failed
    result too: a check never raises.
    """
    def decorate(body: Callable[..., str]) -> Callable[..., CheckResult]:
        name = body.__name__

        @functools.wraps(body)
        def run(fn: Callable, *args: Any, **kwargs: Any) -> CheckResult:
            if not callable(fn):
                return CheckResult(name, False, f"{name} needs your function itself, e.g. "
                                   f"{name}(my_function), but got {show(fn)}.\nHint: "
                                   f"{default_hint}")
            if does_nothing(fn):
                return CheckResult(name, False, f"{NOT_WRITTEN}\nHint: {default_hint}")
            try:
                return CheckResult(name, True, body(fn, *args, **kwargs))
            except Failure as failure:
                return CheckResult(name, False, failure.message(default_hint))
            except Exception as err:  # the check could not examine what it got
                return CheckResult(name, False, (
                    f"The check could not examine your function's result "
                    f"({type(err).__name__}: {err}). Does it return what the exercise asks "
                    f"for (a NumPy array of the right shape, or the right tuple or dict)?\n"
                    f"Hint: {default_hint}"))
        return run
    return decorate


def call(fn: Callable, *args: Any, inputs: str, errors: dict[str, str] | None = None,
         allow_none: bool = False) -> Any:
    """Call the reader's ``fn(*args)`` strictly, and return its result.

    Warnings are errors and NumPy raises on overflow, invalid operations and division by zero
    (not on underflow, which is harmless rounding to 0), so a problem stops at the line that
    caused it. Any exception becomes a :class:`Failure` naming ``inputs``. ``errors`` maps a word
    of the exception's message (e.g. "overflow", "broadcast") to an explanation for the reader.
    A result of ``None`` means the exercise is not answered yet.
    """
    try:
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                    divide="raise", under="ignore"):
            warnings.simplefilter("error")
            result = fn(*args)
    except NotImplementedError:
        raise Failure("not answered yet: your function raises NotImplementedError.",
                      inputs=inputs) from None
    except Exception as err:
        text = f"{type(err).__name__}: {err}"
        explanation = next((why for word, why in (errors or {}).items()
                            if word.lower() in text.lower()), None)
        problem = f"Your function raised an error: {text}."
        if explanation:
            problem += f"\n{explanation}"
        raise Failure(problem, inputs=inputs) from None
    if result is None and not allow_none:
        raise Failure(NOT_ANSWERED, inputs=inputs)
    return result


def as_array(result: Any, *, inputs: str, what: str = "a NumPy array") -> np.ndarray:
    """The reader's result as an ndarray, or a Failure saying what came back instead."""
    if isinstance(result, np.ndarray):
        return result
    raise Failure(f"Your function returned {type(result).__name__} {show(result)}, "
                  f"expected {what}.", inputs=inputs)


def expect_shape(got: np.ndarray, shape: tuple[int, ...], *, inputs: str,
                 why: str | None = None) -> None:
    """Fail unless ``got.shape == shape``; ``why`` explains the likely cause."""
    if got.shape != tuple(shape):
        problem = f"Wrong shape: expected {tuple(shape)}, got {got.shape}."
        if why:
            problem += f" {why}"
        raise Failure(problem, inputs=inputs)


def same_values(got: np.ndarray, expected: np.ndarray, *, rtol: float = 1e-12,
                atol: float = 0.0) -> bool:
    """True if the arrays have equal shapes and agree to ``rtol``/``atol`` (NaN never agrees)."""
    got = np.asarray(got)
    if got.shape != np.shape(expected) or got.dtype.kind not in "fiub":
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(got.astype(np.float64) - expected)
                           <= atol + rtol * np.abs(expected)))


def first_bad(got: np.ndarray, expected: np.ndarray, *, rtol: float, atol: float = 0.0) -> int:
    """Flat index of the first entry where ``got`` and ``expected`` disagree (or -1)."""
    with np.errstate(all="ignore"):
        g, e = got.astype(np.float64).ravel(), np.asarray(expected, np.float64).ravel()
        bad = ~(np.abs(g - e) <= atol + rtol * np.abs(e))
    return int(np.argmax(bad)) if bad.any() else -1
