"""Automatic feedback for the book's coding exercises: one check per exercise.

Each check takes the reader's function, runs it on small seeded inputs it makes itself, and
returns a :class:`CheckResult` that is truthy if and only if the answer is right. On failure the
message names the input, what was expected, what came back, and where in the book to look; it
recognises the classic wrong answers (a naive sigmoid that overflows, one max over the whole
batch, a missing 1/N, a forgotten sigmoid derivative, ...) and names them. A check never raises
because of the reader's code: errors, warnings, overflows and a ``None`` (an unanswered starter)
all become messages.

In a chapter, the starter block of an exercise ends with its check::

    nn.check_sigmoid(my_sigmoid)

One module per chapter; ``_core`` holds what they share.
"""

from ._core import CheckResult
from .backprop import check_backward, check_grad_check
from .beyond import check_adam_step, check_relu_backward
from .forward import check_forward, check_init
from .minibatch import check_batches, check_momentum_step
from .minibatch import check_minibatch_epoch
from .mnist import check_class_means, check_scale, check_validation_split
from .sigmoid import check_sigmoid, check_sigmoid_prime
from .softmax import check_cross_entropy, check_cross_entropy_grad, check_softmax
from .training import check_confident_mistakes, check_sgd_step
from .diagnostics import check_early_stopping, check_update_ratios

__all__ = [
    "CheckResult",
    "check_scale",
    "check_class_means",
    "check_validation_split",
    "check_sigmoid",
    "check_sigmoid_prime",
    "check_softmax",
    "check_cross_entropy",
    "check_cross_entropy_grad",
    "check_init",
    "check_forward",
    "check_backward",
    "check_grad_check",
    "check_sgd_step",
    "check_confident_mistakes",
    "check_batches",
    "check_momentum_step",
    "check_relu_backward",
    "check_adam_step",
    "check_update_ratios",
    "check_early_stopping",
    "check_minibatch_epoch",
]
