"""Find, verify and prepare the MNIST handwritten digits (chapter *MNIST*).

Every chapter starts from the same four arrays, in the layout that Keras's
``tf.keras.datasets.mnist.load_data()`` returns::

    x_train (60000, 28, 28) uint8   pixels 0..255, 0 = background
    y_train (60000,)        uint8   digit labels 0..9
    x_test  (10000, 28, 28) uint8
    y_test  (10000,)        uint8

The network sees each image as one row of D = 784 numbers, so a batch of N
images is a matrix of shape (N, D) and a layer is ``z = x @ W + b``.
:func:`load_mnist` returns exactly that: ``x`` of shape (N, 784) with values
in [0, 1], and integer labels of shape (N,).

Why so much checking for a data set everyone has? Because a silently wrong
data file is the most expensive bug in a book like this: a truncated download,
a file from another data set, or pixels that were never divided by 255 all
still "train", just badly, and the reader blames the maths. So the file is
read without pickle (``allow_pickle=False``: loading a pickle can run code),
and each array is compared by SHA-256 with the canonical MNIST before any
number reaches the network. The hashes are of the array contents, not of the
file, so any correct ``mnist.npz`` passes, whichever zip writer made it.

Where the file comes from, first match wins:

1. the ``path`` you pass (a file, or a folder holding ``mnist.npz``);
2. the folder (or file) named by the environment variable ``NNSCRATCH_DATA``;
3. the Keras cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME/datasets``
   if ``KERAS_HOME`` is set), so a copy Keras already downloaded is reused;
4. a download from :data:`KERAS_URL` into that cache, checked against
   :data:`KERAS_SHA256` before it is kept.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, derived
from NIST Special Databases 1 and 3, and distributed under the Creative
Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from http.client import HTTPException
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .progress import progress_enabled

__all__ = [
    "ARRAY_SHA256",
    "ENV_VAR",
    "KERAS_SHA256",
    "KERAS_URL",
    "MNIST",
    "MNISTError",
    "download_mnist",
    "find_mnist",
    "load_mnist",
    "preprocess",
    "read_mnist_arrays",
]

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
#: SHA-256 of the bytes of the file at KERAS_URL (checked after a download).
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
#: SHA-256 of each array's raw bytes, ``np.ascontiguousarray(a).tobytes()``.
#: These identify MNIST itself, whatever program wrote the .npz around it.
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
#: Shape and dtype of each array, in the one place they are written down.
EXPECTED = {
    "x_train": ((60000, 28, 28), np.dtype(np.uint8)),
    "y_train": ((60000,), np.dtype(np.uint8)),
    "x_test": ((10000, 28, 28), np.dtype(np.uint8)),
    "y_test": ((10000,), np.dtype(np.uint8)),
}
ENV_VAR = "NNSCRATCH_DATA"
FILENAME = "mnist.npz"
DOWNLOAD_TIMEOUT = 30.0  # seconds without any progress before a download gives up

# Verified arrays, keyed on the file's identity, so a second load_mnist() in
# the same session costs nothing. The arrays are read-only: see read_mnist_arrays.
_CACHE: dict[tuple, dict[str, np.ndarray]] = {}
_CACHE_SIZE = 2


class MNISTError(RuntimeError):
    """MNIST could not be found, downloaded or verified; the message says how to fix it."""


class MNIST(NamedTuple):
    """The four arrays of MNIST, ready for the network.

    A named tuple, so both ``data.x_train`` and Keras-style unpacking
    ``x_train, y_train, x_test, y_test = load_mnist()`` work.

    Shapes (with the defaults of :func:`load_mnist`, D = 784):
        x_train (60000, D) float64 in [0, 1];  y_train (60000,) int64 in 0..9
        x_test  (10000, D) float64 in [0, 1];  y_test  (10000,) int64 in 0..9
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _keras_cache_file() -> Path:
    """Where Keras keeps its copy: ``$KERAS_HOME/datasets/mnist.npz``, else ``~/.keras/...``.

    ``Path.home()`` reads ``$HOME``, so tests can point the cache at a temporary folder.
    """
    home = os.environ.get("KERAS_HOME")
    root = Path(home) if home else Path.home() / ".keras"
    return root / "datasets" / FILENAME


def _named_file(value: str | os.PathLike, source: str, instead: str) -> Path:
    """Turn a file or folder named by ``source`` into the file, or say clearly what is missing."""
    path = Path(value).expanduser()
    file = path / FILENAME if path.is_dir() else path
    if file.is_file():
        return file
    if path.is_dir():
        where = f"the folder {path.absolute()} has no {FILENAME} in it"
    else:
        where = f"{path.absolute()} does not exist"
    raise MNISTError(
        f"{source} names {str(value)!r}, but {where}. Point it at {FILENAME} or at the "
        f"folder that holds it (download it from {KERAS_URL}), or {instead} "
        f"{_keras_cache_file()} is used."
    )


def find_mnist(path: str | os.PathLike | None = None, *, download: bool = True) -> Path:
    """Return the path of an ``mnist.npz`` to read, downloading one only if there is none.

    The order is explicit path, then ``$NNSCRATCH_DATA``, then the Keras cache,
    then a download into that cache (see the module docstring). A place that
    you named but that does not exist is an error rather than a reason to move
    on: silently falling through to another copy would hide a typo.

    This only finds the file; :func:`read_mnist_arrays` checks its contents.
    """
    if path is not None:
        return _named_file(path, "The path you passed",
                           f"pass no path, so that {ENV_VAR} or the Keras cache")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:  # relative values are relative to the current working directory
        return _named_file(env, f"The environment variable {ENV_VAR}",
                           "unset it, so that the Keras cache")
    cache = _keras_cache_file()
    if cache.is_file():
        return cache
    situation = f"No copy of MNIST was found ({ENV_VAR} is not set and {cache} does not exist)"
    if not download:
        raise MNISTError(
            f"{situation}, and download=False. Download {KERAS_URL} by hand and save it as "
            f"{cache}, or set {ENV_VAR} to a folder that holds {FILENAME}."
        )
    try:  # look the URL and hash up now, not at import, so they can be changed
        return download_mnist(KERAS_URL, cache, sha256=KERAS_SHA256)
    except MNISTError as err:
        raise MNISTError(f"{situation}, and downloading it failed. {err}") from err


def _show_progress(progress: bool | None) -> bool:
    """Decide whether to draw a progress bar, by the package's one rule (``progress.py``)."""
    return progress_enabled(progress)


def _progress_bar(progress: bool | None, total: int | None, desc: str):
    """A tqdm bar counting bytes, or None if no bar is wanted or tqdm is not installed."""
    if not _show_progress(progress):
        return None
    try:
        from tqdm import tqdm  # optional: the package needs only NumPy
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return the ones created, deepest first."""
    created = []
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        created.append(p)
    folder.mkdir(parents=True, exist_ok=True)
    return created


def download_mnist(
    url: str = KERAS_URL,
    dest: Path | None = None,
    *,
    sha256: str = KERAS_SHA256,
    progress: bool | None = None,
) -> Path:
    """Download ``url`` to the file ``dest`` (default: the Keras cache) and return ``dest``.

    The download is all or nothing. Bytes go to a temporary file next to
    ``dest`` and are hashed as they arrive; only when the SHA-256 equals
    ``sha256`` is the temporary file renamed onto ``dest`` (``os.replace``,
    atomic on one file system). On any failure, or Ctrl-C, the temporary file
    and any folder created for it are removed, so a later run never finds a
    half-written ``mnist.npz``, and an existing ``dest`` is left untouched.

    ``progress``: True draws a tqdm bar (if tqdm is installed), False draws
    none, None (the default) follows the package's rule (``nnscratch.progress``):
    on in a terminal or a Jupyter kernel, off with ``NNSCRATCH_PROGRESS=0`` (the
    static book build), on with ``NNSCRATCH_PROGRESS=1``.
    """
    dest = _keras_cache_file() if dest is None else Path(dest)
    fix = (f"Download {url} by hand and save it as {dest}, or set {ENV_VAR} to a folder "
           f"that holds {FILENAME}.")
    created: list[Path] = []
    tmp: Path | None = None
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            expected_size = int(response.headers.get("Content-Length") or 0) or None
            created = _make_folders(dest.parent)
            digest, size = hashlib.sha256(), 0
            with tempfile.NamedTemporaryFile(dir=dest.parent, prefix=f".{dest.name}.",
                                             suffix=".part", delete=False) as out:
                tmp = Path(out.name)
                bar = _progress_bar(progress, expected_size, f"Downloading {dest.name}")
                try:
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                finally:
                    if bar is not None:
                        bar.close()
                out.flush()
                os.fsync(out.fileno())
        if expected_size is not None and size != expected_size:
            raise MNISTError(f"The download from {url} ended early: {size} of {expected_size} "
                             f"bytes arrived. Nothing was saved. Try again, or: {fix}")
        actual = digest.hexdigest()
        if actual != sha256:
            raise MNISTError(
                f"The download from {url} has SHA-256 {actual}, but {sha256} was expected: it "
                f"was damaged on the way or is a different file. Nothing was saved. Try "
                f"again, or: {fix}")
        os.chmod(tmp, 0o644)  # a temporary file is private (0o600); a data cache need not be
        os.replace(tmp, dest)
        tmp = None
        return dest
    except urllib.error.HTTPError as err:
        err.close()
        raise MNISTError(f"Could not download MNIST from {url}: HTTP {err.code} {err.reason}. "
                         f"{fix}") from err
    except (OSError, HTTPException, ValueError) as err:  # URLError and timeouts are OSErrors
        reason = getattr(err, "reason", None) or err
        raise MNISTError(f"Could not download MNIST from {url} to {dest} "
                         f"({type(err).__name__}: {reason}). Nothing was saved. {fix}") from err
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if not dest.exists():
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:
                    break


def _frozen_bytes(a: np.ndarray) -> tuple[np.ndarray, str]:
    """Return a read-only copy of ``a`` and the SHA-256 of its raw bytes (C order).

    The hash identifies the contents, not the file. The copy is built on an
    immutable ``bytes`` object, so neither it nor any view of it can ever be
    made writeable again: that is what keeps the in-process cache safe.
    """
    raw = np.ascontiguousarray(a).tobytes()
    return np.frombuffer(raw, dtype=a.dtype).reshape(a.shape), hashlib.sha256(raw).hexdigest()


def _read_and_verify(file: Path) -> dict[str, np.ndarray]:
    """Read the four arrays from ``file`` and check them; see :func:`read_mnist_arrays`."""
    file = file.absolute()  # error messages show where the file really is
    redownload = f"Delete {file} and download it again ({KERAS_URL})."
    try:
        f = open(file, "rb")  # opened here, not by np.load, so it is always closed
    except OSError as err:
        raise MNISTError(f"{file} could not be opened ({err}). Check that it is a readable "
                         f"file.") from err
    with f:
        try:
            npz = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
            raise MNISTError(f"{file} is truncated or not an .npz file ({type(err).__name__}: "
                             f"{err}). {redownload}") from err
        if not isinstance(npz, np.lib.npyio.NpzFile):  # a single .npy array, not an archive
            raise MNISTError(f"{file} is a single .npy array, not an .npz file with "
                             f"{', '.join(EXPECTED)}. {redownload}")
        with npz:
            return {key: _read_member(npz, key, file, redownload) for key in EXPECTED}


def _read_member(npz: np.lib.npyio.NpzFile, key: str, file: Path, redownload: str) -> np.ndarray:
    """Read one array of the archive and check its shape, dtype and SHA-256."""
    shape, dtype = EXPECTED[key]
    if key not in npz.files:
        raise MNISTError(f"{file} is a readable .npz file but has no array {key!r} (it has "
                         f"{npz.files}), so it is not the canonical MNIST. {redownload}")
    try:
        a = npz[key]  # decompresses and checks the zip CRC-32
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError) as err:
        raise MNISTError(f"{file} is corrupted: the array {key!r} could not be read "
                         f"({type(err).__name__}: {err}). {redownload}") from err
    if a.shape != shape or a.dtype != dtype:
        raise MNISTError(f"In {file}, {key!r} has shape {a.shape} and dtype {a.dtype}, but "
                         f"the canonical MNIST has {shape} {dtype}: this is not the canonical "
                         f"MNIST. {redownload}")
    frozen, actual = _frozen_bytes(a)
    if actual != ARRAY_SHA256[key]:
        raise MNISTError(f"In {file}, {key!r} has the right shape but the wrong contents "
                         f"(SHA-256 {actual}, expected {ARRAY_SHA256[key]}): this is not the "
                         f"canonical MNIST. {redownload}")
    return frozen


def read_mnist_arrays(file: Path) -> dict[str, np.ndarray]:
    """Read and verify the raw arrays of an MNIST ``.npz``; return them as a dict.

    Returns ``{"x_train": (60000, 28, 28) uint8, "y_train": (60000,) uint8,
    "x_test": (10000, 28, 28) uint8, "y_test": (10000,) uint8}``, unscaled,
    exactly as stored.

    Raises :class:`MNISTError` if the file is truncated or not an .npz, if a
    member is corrupted (a zip CRC or decompression error), or if an array is
    missing, has the wrong shape or dtype, or differs from the canonical MNIST
    (SHA-256 of its bytes). The file is only read: nothing is written next to it.

    Verified arrays are kept for the rest of the session, keyed on the file's
    resolved path, size and modification time, so calling this twice costs
    nothing. They are shared, so they are read-only (and cannot be made
    writeable); :func:`preprocess` and ``astype`` make new arrays from them.
    """
    file = Path(file)
    try:
        st = file.stat()
    except OSError as err:
        raise MNISTError(f"{file} could not be read ({err}). Check the path.") from err
    key = (str(file.resolve()), st.st_size, st.st_mtime_ns,
           tuple(sorted(ARRAY_SHA256.items())), tuple(sorted(EXPECTED.items())))
    if key not in _CACHE:
        arrays = _read_and_verify(file)
        while len(_CACHE) >= _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]  # forget the oldest
        _CACHE[key] = arrays
    return dict(_CACHE[key])  # a new dict of the same read-only arrays


def preprocess(
    images: np.ndarray,
    *,
    scale: bool = True,
    flatten: bool = True,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """Turn raw uint8 images into the floats the network reads. Always returns a new array.

    Shapes:
        images: (N, 28, 28) or (N, D) uint8, D = 784, pixels 0..255
        return: (N, D) if ``flatten`` else (N, 28, 28), of ``dtype``

    ``flatten`` puts each image's 28 rows end to end, so an image is one row
    of D = 784 inputs and a batch is an (N, D) matrix for ``x @ W``.

    ``scale=True`` divides by 255.0 so pixels lie in [0, 1]. With raw values up
    to 255 the first layer's pre-activations are ~255 times larger than with
    [0, 1] inputs and the activations saturate at initialisation (chapter *The
    sigmoid*); what raw pixels do to training is told in the chapter *Training*
    ('Why raw pixels stall'). ``scale=False`` keeps 0..255 (as floats of
    ``dtype``) so the book can reproduce exactly that.
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        got = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"preprocess expects raw uint8 images (pixels 0..255), got {got}. "
                        f"Pass the arrays from read_mnist_arrays, not already scaled ones.")
    if not (images.ndim == 3 and images.shape[1:] == (28, 28)
            or images.ndim == 2 and images.shape[1] == 784):
        raise ValueError(f"preprocess expects images of shape (N, 28, 28) or (N, 784), "
                         f"got {images.shape}.")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"preprocess makes floating-point inputs; dtype must be a float "
                        f"type such as np.float64, got {dtype}.")
    n = images.shape[0]
    x = images.reshape(n, 784) if flatten else images.reshape(n, 28, 28)
    x = x.astype(dtype)  # a new array: never a view of the (shared) raw pixels
    if scale:
        x /= 255.0  # a Python float, so float32 stays float32
    return x


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    scale: bool = True,
    flatten: bool = True,
    dtype: type | np.dtype = np.float64,
    download: bool = True,
    n_train: int | None = None,
    n_test: int | None = None,
) -> MNIST:
    """Find, verify and preprocess MNIST: the one call a chapter makes.

    ``x_train, y_train, x_test, y_test = load_mnist()``

    Shapes (defaults, D = 784):
        x_train (60000, D), x_test (10000, D): ``dtype`` in [0, 1]
        (0..255 if ``scale=False``; (N, 28, 28) if ``flatten=False``)
        y_train (60000,), y_test (10000,): int64 labels 0..9

    Labels stay integers (N,); one-hot encoding is an internal detail of the
    loss. ``path`` and ``download`` are passed to :func:`find_mnist`; the
    images go through :func:`preprocess`. All arrays are new and writeable.

    ``n_train`` and ``n_test`` keep only the first so many images of each
    split (default: all of them). A chapter that looks at a few images need
    not hold them all: each float64 copy of the 60,000 training images takes
    60,000 × 784 × 8 bytes = 376 MB, and Binder gives a notebook 1-2 GB.
    """
    counts = {"x_train": n_train, "x_test": n_test}
    for key, n in counts.items():
        size = EXPECTED[key][0][0]
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))
                              or not 0 <= n <= size):
            name = "n_train" if key == "x_train" else "n_test"
            raise ValueError(f"{name} must be a whole number of images from 0 to {size} "
                             f"(or None for all {size}), got {n!r}.")
    raw = read_mnist_arrays(find_mnist(path, download=download))
    take = {k: slice(None) if n is None else slice(0, int(n)) for k, n in counts.items()}
    images = {k: preprocess(raw[k][take[k]], scale=scale, flatten=flatten, dtype=dtype)
              for k in ("x_train", "x_test")}
    return MNIST(
        x_train=images["x_train"],
        y_train=raw["y_train"][take["x_train"]].astype(np.int64),
        x_test=images["x_test"],
        y_test=raw["y_test"][take["x_test"]].astype(np.int64),
    )
