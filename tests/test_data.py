"""Tests for nnscratch.data: finding, downloading, verifying and preprocessing MNIST.

Most tests use tiny synthetic .npz files (40 training and 15 test images of
28 x 28) and patch ``data.EXPECTED`` and ``data.ARRAY_SHA256`` to match them,
so they run in milliseconds and need no copy of MNIST. Downloads go to a small
HTTP server on 127.0.0.1; no test touches the internet.

The tests on real MNIST run only when ``NNSCRATCH_DATA`` is set (CI sets it to
``../shared/data``); they check the numbers quoted in the book.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnscratch import data
from nnscratch.data import (
    ENV_VAR,
    MNIST,
    MNISTError,
    download_mnist,
    find_mnist,
    load_mnist,
    preprocess,
    read_mnist_arrays,
)

pytestmark = pytest.mark.filterwarnings("error")

# Read before any fixture changes the environment.
REAL_DATA = os.environ.get(ENV_VAR)

N_TRAIN, N_TEST = 40, 15


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_arrays(seed: int) -> dict[str, np.ndarray]:
    """MNIST-like raw arrays: dark images with a bright patch (so deflate really compresses)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        x = np.zeros((n, 28, 28), dtype=np.uint8)
        x[:, 6:22, 6:22] = rng.integers(0, 4, size=(n, 16, 16)) * 85  # 0, 85, 170, 255
        arrays[f"x_{split}"] = x
        arrays[f"y_{split}"] = rng.integers(0, 10, size=n).astype(np.uint8)
    return arrays


def sha256_of_arrays(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    return {k: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
            for k, a in arrays.items()}


def write_npz(path: Path, arrays: dict[str, np.ndarray], compressed: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # a file object, so numpy does not append ".npz"
        (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return path


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"placeholder")
    return path


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No env var, an empty home (so an empty Keras cache), a fresh in-process cache,
    and a default download URL that refuses connections: no test can reach the internet."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("NNSCRATCH_PROGRESS", "0")
    for var in ("no_proxy", "NO_PROXY"):  # 127.0.0.1 must not go through a proxy
        monkeypatch.setenv(var, "*")
    monkeypatch.setattr(data, "KERAS_URL", f"http://127.0.0.1:{_closed_port()}/mnist.npz")
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 5.0)
    monkeypatch.setattr(data, "_CACHE", {})
    return home


@pytest.fixture
def synthetic(monkeypatch) -> dict[str, np.ndarray]:
    """The synthetic arrays, with data.EXPECTED and data.ARRAY_SHA256 patched to accept them."""
    arrays = make_arrays(seed=0)
    monkeypatch.setattr(data, "EXPECTED", {k: (a.shape, a.dtype) for k, a in arrays.items()})
    monkeypatch.setattr(data, "ARRAY_SHA256", sha256_of_arrays(arrays))
    return arrays


@pytest.fixture
def good_file(synthetic, tmp_path) -> Path:
    return write_npz(tmp_path / "data" / "mnist.npz", synthetic)


# --- reading and verifying -------------------------------------------------------------

def test_load_synthetic(synthetic, good_file):
    mnist = load_mnist(good_file)
    assert isinstance(mnist, MNIST)
    x_train, y_train, x_test, y_test = mnist  # Keras-style unpacking
    assert x_train.shape == (N_TRAIN, 784) and x_test.shape == (N_TEST, 784)
    assert x_train.dtype == np.float64
    np.testing.assert_array_equal(x_train, synthetic["x_train"].reshape(N_TRAIN, 784) / 255.0)
    assert y_train.dtype == np.int64 and y_train.shape == (N_TRAIN,)
    np.testing.assert_array_equal(y_test, synthetic["y_test"])


@pytest.mark.parametrize("kind", ["truncated", "empty", "text", "npy"])
def test_truncated_or_not_npz(synthetic, good_file, kind):
    raw = good_file.read_bytes()
    if kind == "truncated":
        good_file.write_bytes(raw[: len(raw) // 2])
    elif kind == "empty":
        good_file.write_bytes(b"")
    elif kind == "text":
        good_file.write_text("<html>404 Not Found</html>")
    else:
        with open(good_file, "wb") as f:
            np.save(f, synthetic["x_train"])
    with pytest.raises(MNISTError, match="not an .npz file") as info:
        read_mnist_arrays(good_file)
    assert str(good_file) in str(info.value) and "download it again" in str(info.value)


@pytest.mark.parametrize("compressed", [True, False], ids=["deflated", "stored"])
def test_flipped_byte_is_corruption(synthetic, tmp_path, compressed):
    file = write_npz(tmp_path / "mnist.npz", synthetic, compressed=compressed)
    with zipfile.ZipFile(file) as zf:
        info = zf.getinfo("x_train.npy")
    raw = bytearray(file.read_bytes())
    header = info.header_offset
    name_len, extra_len = struct.unpack("<HH", raw[header + 26 : header + 30])
    raw[header + 30 + name_len + extra_len + info.compress_size // 2] ^= 0xFF
    file.write_bytes(raw)
    with pytest.raises(MNISTError, match="is corrupted") as err:
        read_mnist_arrays(file)
    assert "'x_train'" in str(err.value) and "download it again" in str(err.value)


def test_other_arrays_fail_the_hash(synthetic, tmp_path):
    file = write_npz(tmp_path / "mnist.npz", make_arrays(seed=1))  # right layout, other pixels
    with pytest.raises(MNISTError, match="not the canonical MNIST") as err:
        read_mnist_arrays(file)
    message = str(err.value)
    assert "'x_train'" in message and "SHA-256" in message
    assert data.ARRAY_SHA256["x_train"] in message


def test_missing_key(synthetic, tmp_path):
    arrays = {k: a for k, a in synthetic.items() if k != "y_test"}
    file = write_npz(tmp_path / "mnist.npz", arrays)
    with pytest.raises(MNISTError, match="has no array 'y_test'") as err:
        read_mnist_arrays(file)
    assert "not the canonical MNIST" in str(err.value)


@pytest.mark.parametrize("change", ["dtype", "shape"])
def test_wrong_shape_or_dtype(synthetic, tmp_path, change):
    arrays = dict(synthetic)
    if change == "dtype":
        arrays["x_train"] = arrays["x_train"].astype(np.float32)
    else:
        arrays["x_train"] = arrays["x_train"][:, :, :27]
    file = write_npz(tmp_path / "mnist.npz", arrays)
    with pytest.raises(MNISTError, match="'x_train' has shape") as err:
        read_mnist_arrays(file)
    assert "not the canonical MNIST" in str(err.value)


def test_read_only_folder_is_only_read(synthetic, tmp_path, monkeypatch):
    folder = write_npz(tmp_path / "shared" / "mnist.npz", synthetic).parent
    file = folder / "mnist.npz"
    file.chmod(0o444)
    folder.chmod(0o555)
    try:
        before = sorted(os.listdir(folder)), folder.stat().st_mtime_ns
        monkeypatch.setenv(ENV_VAR, str(folder))
        x_train = load_mnist().x_train
        load_mnist(folder)
        monkeypatch.setattr(data, "_CACHE", {})  # read it once more, from scratch
        load_mnist(file)
        # Tests may run as root, which ignores permissions: check that nothing was written.
        assert (sorted(os.listdir(folder)), folder.stat().st_mtime_ns) == before
        assert x_train.shape == (N_TRAIN, 784)
    finally:
        folder.chmod(0o755)
        file.chmod(0o644)


def test_second_load_uses_the_cache_and_cannot_corrupt_it(synthetic, good_file, monkeypatch):
    reads = []
    read_and_verify = data._read_and_verify
    monkeypatch.setattr(data, "_read_and_verify", lambda f: reads.append(f) or read_and_verify(f))
    first = load_mnist(good_file)
    first.x_train[:] = -1.0  # the caller owns what it gets back
    first.y_train[:] = 99
    second = load_mnist(good_file)
    assert len(reads) == 1
    expected = synthetic["x_train"].reshape(N_TRAIN, 784) / 255.0
    np.testing.assert_array_equal(second.x_train, expected)
    np.testing.assert_array_equal(second.y_train, synthetic["y_train"])

    raw = read_mnist_arrays(good_file)
    for a in raw.values():
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a.flags.writeable = True
    raw["x_train"] = None  # replacing an entry of the returned dict is harmless too
    assert read_mnist_arrays(good_file)["x_train"].shape == (N_TRAIN, 28, 28)
    assert len(reads) == 1


def test_cache_notices_a_changed_file(synthetic, good_file, monkeypatch):
    load_mnist(good_file)
    other = make_arrays(seed=2)
    write_npz(good_file, other)
    st = good_file.stat()
    os.utime(good_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(MNISTError, match="not the canonical MNIST"):
        load_mnist(good_file)  # re-read and re-verified, not served from the cache
    monkeypatch.setattr(data, "ARRAY_SHA256", sha256_of_arrays(other))
    np.testing.assert_array_equal(load_mnist(good_file).y_test, other["y_test"])


# --- where the file comes from ---------------------------------------------------------

def test_source_order_explicit_then_env_then_cache(tmp_path, monkeypatch, isolated):
    explicit = touch(tmp_path / "explicit" / "mnist.npz")
    env = touch(tmp_path / "env" / "mnist.npz")
    cache = touch(isolated / ".keras" / "datasets" / "mnist.npz")
    monkeypatch.setenv(ENV_VAR, str(env.parent))
    assert find_mnist(explicit.parent) == explicit
    assert find_mnist(str(explicit)) == explicit
    assert find_mnist() == env
    monkeypatch.delenv(ENV_VAR)
    assert find_mnist() == cache
    keras_home = touch(tmp_path / "keras_home" / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(keras_home.parent.parent))
    assert find_mnist() == keras_home


def test_env_var_relative_to_cwd_or_naming_the_file(tmp_path, monkeypatch):
    file = touch(tmp_path / "shared" / "data" / "mnist.npz")
    monkeypatch.chdir(tmp_path / "shared")
    monkeypatch.setenv(ENV_VAR, "data")
    assert find_mnist().resolve() == file.resolve()
    monkeypatch.setenv(ENV_VAR, os.path.join("data", "mnist.npz"))
    assert find_mnist().resolve() == file.resolve()


@pytest.mark.parametrize("target", ["missing", "empty folder"])
def test_env_var_naming_nothing_raises(tmp_path, monkeypatch, isolated, target):
    touch(isolated / ".keras" / "datasets" / "mnist.npz")  # must not be used instead
    place = tmp_path / "nowhere"
    if target == "empty folder":
        place.mkdir()
    monkeypatch.setenv(ENV_VAR, str(place))
    with pytest.raises(MNISTError, match=ENV_VAR) as err:
        find_mnist()
    assert str(place) in str(err.value)


def test_explicit_path_naming_nothing_raises(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(touch(tmp_path / "env" / "mnist.npz").parent))
    with pytest.raises(MNISTError, match="path you passed") as err:
        load_mnist(tmp_path / "typo.npz")
    assert "typo.npz" in str(err.value)


def test_nothing_local_and_download_false(isolated):
    with pytest.raises(MNISTError, match="download=False") as err:
        load_mnist(download=False)
    message = str(err.value)
    assert ENV_VAR in message and str(isolated / ".keras" / "datasets" / "mnist.npz") in message


def test_offline_with_no_copy(isolated):
    with pytest.raises(MNISTError) as err:
        load_mnist()
    message = str(err.value)
    assert ENV_VAR in message and data.KERAS_URL in message
    assert str(isolated / ".keras" / "datasets" / "mnist.npz") in message
    assert "by hand" in message
    assert not (isolated / ".keras").exists()  # no empty cache folders left behind


# --- downloading -----------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (body, mode)``; mode "full", "cut" (Content-Length
    promises more than is sent) or "no-length" (half the body, then the connection closes)."""

    timeout = 5  # seconds; a stuck client cannot hold a server thread for long

    def do_GET(self):
        self.server.hits.append(self.path)
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, mode = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "no-length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if mode == "full" else body[: len(body) // 2])
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes, httpd.hits = {}, []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_download_is_cached_atomically(good_file, server, tmp_path):
    body = good_file.read_bytes()
    server.routes["/mnist.npz"] = (body, "full")
    dest = tmp_path / "cache" / "datasets" / "mnist.npz"
    got = download_mnist(server.url + "/mnist.npz", dest,
                         sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert got == dest and dest.read_bytes() == body
    assert os.listdir(dest.parent) == ["mnist.npz"]  # no temporary file left


def test_load_mnist_downloads_into_the_keras_cache(synthetic, good_file, server, isolated,
                                                   monkeypatch):
    body = good_file.read_bytes()
    server.routes["/mnist.npz"] = (body, "full")
    monkeypatch.setattr(data, "KERAS_URL", server.url + "/mnist.npz")
    monkeypatch.setattr(data, "KERAS_SHA256", hashlib.sha256(body).hexdigest())
    mnist = load_mnist()
    np.testing.assert_array_equal(mnist.y_train, synthetic["y_train"])
    cache = isolated / ".keras" / "datasets"
    assert os.listdir(cache) == ["mnist.npz"] and (cache / "mnist.npz").read_bytes() == body
    load_mnist()
    assert server.hits == ["/mnist.npz"]  # the second call used the cached file


def test_download_with_wrong_hash_leaves_nothing(good_file, server, isolated):
    body = good_file.read_bytes()
    server.routes["/mnist.npz"] = (body, "full")
    dest = isolated / ".keras" / "datasets" / "mnist.npz"
    wrong = "0" * 64
    with pytest.raises(MNISTError, match="Nothing was saved") as err:
        download_mnist(server.url + "/mnist.npz", dest, sha256=wrong, progress=False)
    assert wrong in str(err.value) and hashlib.sha256(body).hexdigest() in str(err.value)
    assert not (isolated / ".keras").exists()


def test_failed_download_keeps_the_old_file(good_file, server, tmp_path):
    server.routes["/mnist.npz"] = (good_file.read_bytes(), "full")
    dest = touch(tmp_path / "cache" / "mnist.npz")
    with pytest.raises(MNISTError):
        download_mnist(server.url + "/mnist.npz", dest, sha256="0" * 64, progress=False)
    assert os.listdir(dest.parent) == ["mnist.npz"] and dest.read_bytes() == b"placeholder"


@pytest.mark.parametrize("mode", ["cut", "no-length"])
def test_download_cut_short_leaves_nothing(good_file, server, tmp_path, mode):
    body = good_file.read_bytes()
    server.routes["/mnist.npz"] = (body, mode)
    folder = tmp_path / "cache"
    folder.mkdir()
    with pytest.raises(MNISTError, match="Nothing was saved"):
        download_mnist(server.url + "/mnist.npz", folder / "mnist.npz",
                       sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert list(folder.iterdir()) == []


def test_download_http_error(server, tmp_path):
    url = server.url + "/gone.npz"
    with pytest.raises(MNISTError, match="404") as err:
        download_mnist(url, tmp_path / "cache" / "mnist.npz", progress=False)
    assert url in str(err.value) and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("have_tqdm", [True, False])
def test_download_with_progress_bar(good_file, server, tmp_path, monkeypatch, capsys, have_tqdm):
    if have_tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    body = good_file.read_bytes()
    server.routes["/mnist.npz"] = (body, "full")
    dest = download_mnist(server.url + "/mnist.npz", tmp_path / "mnist.npz",
                          sha256=hashlib.sha256(body).hexdigest(), progress=True)
    assert dest.read_bytes() == body
    assert ("Downloading" in capsys.readouterr().err) == have_tqdm


class _Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize("progress, tty, env, shown", [
    (True, False, "0", True),    # asked for explicitly
    (False, True, "1", False),   # refused explicitly
    (None, True, "", True),      # auto, interactive terminal
    (None, True, "0", False),    # auto, switched off by NNSCRATCH_PROGRESS=0 (the static build)
    (None, False, "1", True),    # switched on by NNSCRATCH_PROGRESS=1
    (None, False, "", False),    # auto, neither a terminal nor a Jupyter kernel (CI logs)
])
def test_progress_bar_only_when_asked_or_interactive(monkeypatch, progress, tty, env, shown):
    """The loader follows the package's one rule for progress bars (nnscratch.progress)."""
    monkeypatch.setenv("NNSCRATCH_PROGRESS", env)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    if tty:
        monkeypatch.setattr(sys, "stderr", _Terminal())
    assert data._show_progress(progress) is shown


# --- preprocess ------------------------------------------------------------------------

@pytest.mark.parametrize("in_shape", [(5, 28, 28), (5, 784)])
@pytest.mark.parametrize("flatten, out_shape", [(True, (5, 784)), (False, (5, 28, 28))])
def test_preprocess_shapes(in_shape, flatten, out_shape):
    images = np.zeros(in_shape, dtype=np.uint8)
    assert preprocess(images, flatten=flatten).shape == out_shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_preprocess_scales_to_unit_interval(dtype):
    images = make_arrays(seed=0)["x_test"]
    images[0, 0, :3] = [0, 128, 255]
    x = preprocess(images, dtype=dtype)
    assert x.dtype == dtype
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(x, (images.reshape(-1, 784) / 255.0).astype(dtype))
    assert not np.shares_memory(x, images)


def test_preprocess_raw_keeps_pixel_values():
    images = make_arrays(seed=0)["x_test"]
    images[0, 0, 0] = 255
    images.flags.writeable = False  # as it comes from the cache
    x = preprocess(images, scale=False)
    assert x.dtype == np.float64 and x.max() == 255.0
    np.testing.assert_array_equal(x, images.reshape(-1, 784))
    x[0, 0] = -1.0  # the result is new and writeable
    assert images[0, 0, 0] == 255


@pytest.mark.parametrize("images, kwargs, error, match", [
    (np.zeros((2, 28, 28), np.float64), {}, TypeError, "uint8"),
    ([[0] * 784], {}, TypeError, "uint8"),
    (np.zeros((2, 28), np.uint8), {}, ValueError, "shape"),
    (np.zeros((2, 28, 27), np.uint8), {}, ValueError, "shape"),
    (np.zeros((2, 784), np.uint8), {"dtype": np.int32}, TypeError, "float"),
])
def test_preprocess_rejects_bad_input(images, kwargs, error, match):
    with pytest.raises(error, match=match):
        preprocess(images, **kwargs)


# --- real MNIST (only where NNSCRATCH_DATA names a copy, as in CI) ---------------------

@pytest.fixture(scope="module")
def real():
    """Load real MNIST once, the way CI does: through the NNSCRATCH_DATA variable."""
    if REAL_DATA is None:
        pytest.skip(f"{ENV_VAR} is not set, so there is no local copy of MNIST to test")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_VAR, REAL_DATA)
        mp.setattr(data, "_CACHE", {})
        folder = find_mnist().parent
        before = sorted(os.listdir(folder)), folder.stat().st_mtime_ns
        mnist = load_mnist()
        raw_test = preprocess(read_mnist_arrays(folder / "mnist.npz")["x_test"], scale=False)
        after = sorted(os.listdir(folder)), folder.stat().st_mtime_ns
    return {"mnist": mnist, "raw_test": raw_test, "before": before, "after": after}


def test_real_shapes_and_range(real):
    x_train, y_train, x_test, y_test = real["mnist"]
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.float64 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert x_test.min() == 0.0 and x_test.max() == 1.0
    assert real["raw_test"].max() == 255.0


def test_real_label_counts(real):
    counts_train = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    counts_test = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(real["mnist"].y_train, minlength=10).tolist() == counts_train
    assert np.bincount(real["mnist"].y_test, minlength=10).tolist() == counts_test


def test_real_pixel_mean_and_std(real):
    x_train = real["mnist"].x_train
    assert round(float(x_train.mean()), 4) == 0.1307
    assert round(float(x_train.std()), 4) == 0.3081


def test_real_data_folder_is_only_read(real):
    assert real["after"] == real["before"]
