"""The checks in grading mode: they raise on failure, for an autograder (Otter's tests).

A student runs ``nn.check_sigmoid(my_sigmoid)`` and reads the printed verdict; nothing raises.
An autograder needs the opposite: a test passes when it returns and fails when it raises. So
:func:`require` runs the same check and raises :class:`CheckFailed` (an ``AssertionError``)
carrying the check's own message when it fails::

    from nnscratch.checks.grading import require
    require("sigmoid-ex-my-sigmoid", my_sigmoid)      # raises CheckFailed, or returns the message

The package a student imports contains reference implementations of several exercises
(``nn.sigmoid``, ``nn.softmax``, ...), and they pass their checks. An answer that *is* the
package's function, or that calls it to do the exercise's work (``my_sigmoid = nn.sigmoid``,
``lambda z: nn.sigmoid(z)``, ``np.vectorize(nn.sigmoid)``), scores nothing, and the message says
why. What can be detected honestly, and is:

- the answer is the package's function itself (also through ``functools.partial``, a bound
  method or ``np.vectorize``), or a function compiled from the same code object;
- while the answer runs, the package's function for this exercise is called from code that is
  not the package's own (the answer, or anything it calls): :func:`own_work` watches every Python
  call with :func:`sys.setprofile` and walks up the stack from each call of the reference.

What cannot be told apart from honest work is a copy of the package's *source*, retyped or
pasted under another name: the chapters print that source, and a student who writes the stable
sigmoid the chapter derives may well write the same lines. :func:`same_code_as_package` reports
it for the instructor to look at; it costs no points.

Hidden tests use :func:`own_work` around their own calls, so a package copy fails them too.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import sys
from pathlib import Path
from types import CodeType
from typing import Any, Callable, Iterator

import numpy as np

from .. import activations, losses, modern, network
from . import backprop, forward, minibatch, mnist, sigmoid, softmax, training
from . import beyond
from . import diagnostics as _diagnostics
from .. import diagnostics as _diag_pkg
from ._core import CheckResult

__all__ = ["CheckFailed", "PackageCopy", "EXERCISES", "require", "own_work", "package_origin",
           "same_code_as_package", "hint"]

_PACKAGE = Path(network.__file__).resolve().parent          # .../nnscratch
_CHECKS = Path(__file__).resolve().parent                    # .../nnscratch/checks


class CheckFailed(AssertionError):
    """A check failed in grading mode; ``str()`` is the check's message for the student."""

    def __init__(self, result: CheckResult | str):
        self.result = result if isinstance(result, CheckResult) else None
        super().__init__(result.message if isinstance(result, CheckResult) else result)


class PackageCopy(CheckFailed):
    """The answer is, or calls, the package's own implementation of the exercise."""


#: For each coding exercise: its check, the package functions that do the exercise's work (an
#: answer may not hand them back or call them), and where in the book to look.
EXERCISES: dict[str, tuple[Callable[..., CheckResult], tuple[Callable, ...], str]] = {
    "mnist-ex-scale": (mnist.check_scale, (), mnist.SCALE_HINT),
    "mnist-ex-class-means": (mnist.check_class_means, (), mnist.MEANS_HINT),
    "mnist-ex-validation-split": (mnist.check_validation_split, (), mnist.SPLIT_HINT),
    "sigmoid-ex-my-sigmoid": (sigmoid.check_sigmoid, (activations.sigmoid,), sigmoid.SIGMOID_HINT),
    "sigmoid-ex-my-sigmoid-prime": (sigmoid.check_sigmoid_prime, (activations.sigmoid_prime,),
                                    sigmoid.PRIME_HINT),
    "softmax-ex-my-softmax": (softmax.check_softmax, (losses.softmax, losses.log_softmax),
                              softmax.SOFTMAX_HINT),
    "softmax-ex-my-cross-entropy": (softmax.check_cross_entropy,
                                    (losses.cross_entropy, losses.cross_entropy_and_grad,
                                     losses.logsumexp, losses.log_softmax), softmax.CE_HINT),
    "softmax-ex-my-cross-entropy-grad": (softmax.check_cross_entropy_grad,
                                         (losses.cross_entropy_grad,
                                          losses.cross_entropy_and_grad), softmax.GRAD_HINT),
    "forward-ex-my-init": (forward.check_init, (network.init_params,), forward.INIT_HINT),
    "forward-ex-my-forward": (forward.check_forward, (network.forward, network.predict),
                              forward.FORWARD_HINT),
    "backprop-ex-my-backward": (backprop.check_backward,
                                (network.backward, network.loss_and_grads),
                                backprop.BACKWARD_HINT),
    "backprop-ex-my-grad-check": (backprop.check_grad_check,
                                  (sys.modules["nnscratch.gradcheck"].numerical_gradient,),
                                  backprop.GRADCHECK_HINT),
    "training-ex-my-sgd-step": (training.check_sgd_step, (), training.SGD_HINT),
    "training-ex-confident-mistakes": (training.check_confident_mistakes, (),
                                       training.MISTAKES_HINT),
    "minibatch-ex-batches": (minibatch.check_batches, (), minibatch.BATCHES_HINT),
    "minibatch-ex-momentum": (minibatch.check_momentum_step, (), minibatch.MOMENTUM_HINT),
    "beyond-ex-relu-backward": (beyond.check_relu_backward, (modern.relu_backward,),
                                beyond.RELU_HINT),
    "beyond-ex-adam-step": (beyond.check_adam_step, (modern.adam_step,), beyond.ADAM_HINT),
    "diagnostics-ex-update-ratio": (_diagnostics.check_update_ratios, (_diag_pkg.update_ratios,),
                                    _diagnostics.RATIO_HINT),
    "diagnostics-ex-early-stopping": (_diagnostics.check_early_stopping,
                                      (_diag_pkg.early_stopping,), _diagnostics.STOP_HINT),
    "minibatch-ex-my-loop": (minibatch.check_minibatch_epoch,
                             (sys.modules["nnscratch.training"].sgd_minibatch_plain,
                              sys.modules["nnscratch.training"].sgd_minibatch),
                             minibatch.LOOP_HINT),
}


def _entry(label: str) -> tuple[Callable[..., CheckResult], tuple[Callable, ...], str]:
    try:
        return EXERCISES[label]
    except KeyError:
        raise KeyError(f"No coding exercise {label!r} is graded; known: "
                       f"{', '.join(sorted(EXERCISES))}.") from None


def hint(label: str) -> str:
    """Where in the book to look for exercise ``label`` (the check's hint)."""
    return _entry(label)[2]


def _unwrap(fn: Any) -> list[Any]:
    """``fn`` and what it wraps: partial's func, a bound method's function, vectorize's pyfunc."""
    seen = [fn]
    while True:
        inner = (getattr(fn, "func", None) if isinstance(fn, functools.partial)
                 else getattr(fn, "pyfunc", None) if isinstance(fn, np.vectorize)
                 else getattr(fn, "__func__", None) or getattr(fn, "__wrapped__", None))
        if inner is None or any(inner is s for s in seen):
            return seen
        seen.append(inner)
        fn = inner


def _name(reference: Callable) -> str:
    return f"nn.{reference.__name__}"


def package_origin(label: str, fn: Any) -> str | None:
    """Why ``fn`` is the package's own implementation for exercise ``label``, or None."""
    references = _entry(label)[1]
    codes = {r.__code__: r for r in references}
    for inner in _unwrap(fn):
        for reference in references:
            if inner is reference or getattr(inner, "__code__", None) is reference.__code__:
                return (f"Your answer is the package's own {_name(reference)}, not a function "
                        f"you wrote. The exercise asks you to write it yourself, so it scores "
                        f"nothing.")
        if getattr(inner, "__code__", None) in codes:
            return (f"Your answer is compiled from the package's own {_name(codes[inner.__code__])}; "
                    "it scores nothing.")
    return None


def same_code_as_package(label: str, fn: Any) -> str | None:
    """A note if ``fn`` compiles to exactly the bytecode of the package's function, else None.

    This costs no points: the chapters print the package's source, and an honest answer can
    coincide with it. It is for the instructor to look at.
    """
    code = getattr(fn, "__code__", None)
    for reference in _entry(label)[1]:
        if (code is not None and code is not reference.__code__
                and _shape_of(code) == _shape_of(reference.__code__)):
            return (f"Note for the instructor: {getattr(fn, '__name__', 'the answer')} compiles to "
                    f"the same bytecode as the package's {_name(reference)} (the same lines, "
                    "perhaps renamed). No points were taken for it.")
    return None


def _shape_of(code: CodeType) -> tuple:
    """What a function does, without its names, docstring or line numbers."""
    consts = tuple(_shape_of(c) if isinstance(c, CodeType) else c for c in code.co_consts[1:])
    ops = tuple((i.opname.replace("LOAD_METHOD", "LOAD_ATTR"), i.argrepr.replace("NULL + ", ""))
                for i in dis.get_instructions(code)
                if i.opname not in ("RESUME", "NOP", "CACHE", "EXTENDED_ARG"))
    return ops, consts


def _from_package(frame: Any) -> bool:
    try:
        return Path(frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):
        return False


def _from_checks(frame: Any) -> bool:
    try:
        return Path(frame.f_code.co_filename).resolve().is_relative_to(_CHECKS)
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def own_work(label: str, fn: Any) -> Iterator[Any]:
    """Run a block that calls the answer ``fn``; raise :class:`PackageCopy` if it is the package's.

    On entry, ``fn`` must not be the package's function (:func:`package_origin`). During the
    block, every call of one of the package's functions for this exercise is examined: walking
    up the stack from it through the package's own modules, the first frame outside them must be
    a check (which calls the reference to know the right answer); any other caller is the answer
    or something it called, and the answer scores nothing. Yields ``fn``.
    """
    if fn is None:
        raise CheckFailed(f"No answer: the function of exercise {label} is not defined (was its "
                          f"cell deleted, renamed or never run?).\nHint: {hint(label)}")
    why = package_origin(label, fn)
    if why:
        raise PackageCopy(f"{why}\nHint: {hint(label)}")
    codes = {r.__code__: r for r in _entry(label)[1]}
    used: list[Callable] = []

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code not in codes or used:
            return
        caller = frame.f_back
        while caller is not None and _from_package(caller) and not _from_checks(caller):
            caller = caller.f_back
        if caller is None or not _from_checks(caller):
            used.append(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        yield fn
    finally:
        sys.setprofile(previous)
    if used:
        raise PackageCopy(f"Your answer calls the package's own {_name(used[0])} to do the "
                          "exercise's work, so it scores nothing: write it with NumPy "
                          f"yourself.\nHint: {hint(label)}")


def require(label: str, fn: Any) -> str:
    """Run the check of exercise ``label`` on ``fn`` in grading mode.

    Returns the check's message when it passes; raises :class:`CheckFailed` with the check's
    message (what failed, on which input, and where in the book to look) when it does not, and
    :class:`PackageCopy` when the answer is the package's own function.
    """
    check = _entry(label)[0]
    with own_work(label, fn):
        result = check(fn)
    if not result:
        raise CheckFailed(result)
    return result.message
