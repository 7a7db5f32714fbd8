"""nnscratch: the shared package of the book *Neural networks from scratch*.

A 784 -> 32 -> 32 -> 10 network with sigmoid hidden layers, softmax output and cross-entropy
loss, in plain NumPy, with hand-derived backpropagation. Each module is one idea and says in which
chapter it is derived:

- ``data``: loading and verifying MNIST (chapter *MNIST*)
- ``activations``: the stable sigmoid (chapter *The sigmoid and numerical stability*)
- ``losses``: softmax, log-softmax, cross-entropy from logits (chapter *Softmax and cross-entropy*)
- ``network``: initialisation, forward and backward passes (chapters *Initialisation* and
  *Backpropagation*)
- ``training``: per-sample and minibatch SGD (chapters *Training* and *Minibatches*)
- ``gradcheck``: finite-difference gradient checks
- ``modern``: ReLU with He initialisation, Adam (chapter *Beyond the book's recipe*)
- ``diagnostics``: is training healthy? gradient sizes and update ratios per layer, early
  stopping, baselines, the first layer's weights as images (chapter *Is training healthy?*)
- ``plotting``: training curves, digit grids, confusion matrices
- ``checks``: automatic feedback for the exercises, e.g. ``check_sigmoid(my_sigmoid)``
- ``exercises``: reading the book's exercises from the chapter sources (for instructors)

Shapes everywhere: N samples, D=784 inputs, H=32 hidden units, C=10 classes; a batch is rows.
"""

from .activations import sigmoid, sigmoid_prime
from .gradcheck import GradCheck, check_gradients, numerical_gradient, rel_error
from .losses import cross_entropy, cross_entropy_and_grad, cross_entropy_grad, log_softmax, logsumexp, one_hot, softmax
from .network import (
    SIZES,
    Params,
    accuracy,
    affine_backward,
    affine_forward,
    backward,
    copy_params,
    evaluate,
    forward,
    init_params,
    loss_and_grads,
    predict,
)
from .training import (History, TrainingDiverged, join_histories, sgd_minibatch, sgd_per_sample,
                       sgd_per_sample_reference)
from .training import sgd_minibatch_plain
from .squared_error import squared_error, squared_error_and_grad
from .checks import (
    CheckResult,
    check_backward,
    check_batches,
    check_class_means,
    check_confident_mistakes,
    check_cross_entropy,
    check_cross_entropy_grad,
    check_forward,
    check_grad_check,
    check_init,
    check_momentum_step,
    check_minibatch_epoch,
    check_scale,
    check_sgd_step,
    check_sigmoid,
    check_sigmoid_prime,
    check_softmax,
    check_validation_split,
)
from .checks import check_adam_step, check_relu_backward
from . import modern  # ReLU, He initialisation and Adam (chapter *Beyond the book's recipe*)
from .checks import check_early_stopping, check_update_ratios
from . import diagnostics
from .plotting import confusion_matrix, plot_confusion, plot_curves, setup_book_style, show_digits, smooth

try:  # the loader lives in its own module, written alongside
    from .data import MNIST, MNISTError, load_mnist, preprocess
except ImportError:  # pragma: no cover
    pass

__version__ = "0.1.0"
