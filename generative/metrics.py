"""Mode-coverage metrics: how many modes a generator reaches, and how sharply.

Mixtures of Gaussians (``ring8``, ``grid25``)
----------------------------------------------
The definitions of the mode-collapse literature (VEEGAN, Srivastava et al. 2017, sec. 5.1;
PacGAN, Lin et al. 2018, whose reference code we follow to the letter; both after the 2-D
experiments of Unrolled GAN, Metz et al. 2017):

* every sample is assigned to its **nearest** mode centre (Euclidean distance; the mixtures
  are isotropic with one common std, so this is PacGAN's std-scaled distance too);
* a sample is **high quality** if that distance is *strictly* below ``3 * std``;
* a mode is **covered** ("captured") if at least ``min_count`` high-quality samples are
  assigned to it. VEEGAN: "the number of mixture components whose mean is nearest to at least
  one high quality sample", i.e. ``min_count = 1``, the default here and in PacGAN's code;
* the **KL to uniform** is ``KL(h || u) = sum_k h_k log(K h_k)`` of the normalised histogram
  ``h`` of high-quality samples over the ``K`` modes (PacGAN's "reverse KL": the generator's
  mode distribution against the true, uniform one), 0 for a perfectly balanced generator and
  ``log K`` when every high-quality sample sits on one mode; ``inf`` if no sample is high
  quality.

The papers draw 2,500 samples per trained model (VEEGAN, PacGAN); :data:`N_EVAL_SAMPLES`.
Note the ceiling of the high-quality share: a sample of the *true* 2-D mixture lies within
``3 std`` of its own centre with probability ``1 - exp(-9/2) = 98.89%`` (the radius of an
isotropic 2-D Gaussian is Rayleigh distributed), so no model honestly scores 100%.

Digits
------
A small classifier (an MLP 64-128-10 on the [0, 1]-scaled pixels), trained once on the
training split of scikit-learn's digits and cached on disk (``$LECTUREGRID_CACHE``, else
``$XDG_CACHE_HOME/lecturegrid``, else ``~/.cache/lecturegrid``), labels generated images;
:func:`digit_coverage` reports the classes covered by (by default) 10,000 samples and the KL
of the label histogram to uniform, exactly as for the mixtures.

>>> import numpy as np
>>> from generative.data import ring_centers
>>> c = ring_centers()                       # the 8 centres of ring8
>>> cov = mode_coverage(np.repeat(c, 10, axis=0), c, std=0.02)
>>> cov.modes_covered, cov.high_quality, round(cov.kl_uniform, 12)
(8, 1.0, 0.0)
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generative._checks import check_int, check_number
from generative.data import grid_centers, load_dataset, ring_centers

__all__ = [
    "N_EVAL_SAMPLES",
    "DigitClassifier",
    "ModeCoverage",
    "cache_dir",
    "dataset_coverage",
    "digit_classifier",
    "digit_coverage",
    "grid25_coverage",
    "kl_to_uniform",
    "mode_coverage",
    "ring8_coverage",
]

#: Samples drawn per trained model in VEEGAN's and PacGAN's tables.
N_EVAL_SAMPLES = 2500


# --------------------------------------------------------------------------------------------
# Mixtures of Gaussians
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModeCoverage:
    """Mode coverage of a set of samples (see the module docstring for the definitions).

    Attributes
    ----------
    counts : ndarray (K,) int64
        High-quality samples assigned to each mode.
    n_samples : int
        Samples evaluated.
    min_count : int
        High-quality samples a mode needs to count as covered.
    """

    counts: np.ndarray
    n_samples: int
    min_count: int = 1

    @property
    def n_modes(self) -> int:
        """Number of modes K."""
        return int(self.counts.shape[0])

    @property
    def modes_covered(self) -> int:
        """Modes with at least ``min_count`` high-quality samples."""
        return int(np.count_nonzero(self.counts >= self.min_count))

    @property
    def n_high_quality(self) -> int:
        """Samples within ``3 std`` of their nearest centre."""
        return int(self.counts.sum())

    @property
    def high_quality(self) -> float:
        """Share of high-quality samples, in [0, 1]."""
        return self.n_high_quality / self.n_samples

    @property
    def kl_uniform(self) -> float:
        """``KL(h || uniform)`` of the high-quality histogram over modes, in nats."""
        return kl_to_uniform(self.counts)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "modes_covered": self.modes_covered,
            "n_modes": self.n_modes,
            "high_quality": self.high_quality,
            "kl_uniform": self.kl_uniform,
            "n_samples": self.n_samples,
            "counts": self.counts.tolist(),
        }


def kl_to_uniform(counts: Any) -> float:
    """``KL(h || u)`` in nats of the normalised histogram ``h = counts / sum`` to uniform ``u``.

    Parameters
    ----------
    counts : array_like (K,)
        Non-negative counts per mode or class.

    Returns
    -------
    float
        ``sum_k h_k log(K h_k)`` (terms with ``h_k = 0`` contribute 0): 0 when balanced, ``log K``
        when all mass is on one mode, ``inf`` when every count is zero.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array, got shape {c.shape}")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError(f"counts must be finite and non-negative, got {c.tolist()}")
    total = c.sum()
    if total == 0:
        return math.inf
    h = c[c > 0] / total
    return float(np.sum(h * np.log(h * c.size)))


def mode_coverage(
    samples: Any, centers: Any, std: float, *, threshold: float = 3.0, min_count: int = 1
) -> ModeCoverage:
    """Assign samples to their nearest centre and count the high-quality ones per mode.

    Parameters
    ----------
    samples : array_like (N, D)
        Generated samples.
    centers : array_like (K, D)
        Mode centres.
    std : float
        Standard deviation of every mode (isotropic).
    threshold : float
        A sample is high quality if its distance to the nearest centre is ``< threshold * std``
        (3 in VEEGAN/PacGAN).
    min_count : int
        High-quality samples a mode needs to count as covered (1 in VEEGAN/PacGAN).

    Returns
    -------
    ModeCoverage
    """
    x = _as_points(samples, "samples")
    c = _as_points(centers, "centers")
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"samples have dimension {x.shape[1]} but centers have {c.shape[1]}")
    s = check_number(std, "std", positive=True)
    t = check_number(threshold, "threshold", positive=True)
    m = check_int(min_count, "min_count")
    counts = np.zeros(c.shape[0], dtype=np.int64)
    radius2 = (t * s) ** 2
    for lo in range(0, x.shape[0], 65536):  # bounded memory for (chunk, K) distances
        chunk = x[lo : lo + 65536]
        d2 = ((chunk[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        nearest = d2.argmin(axis=1)  # ties: lowest index
        good = d2[np.arange(chunk.shape[0]), nearest] < radius2
        counts += np.bincount(nearest[good], minlength=c.shape[0])
    return ModeCoverage(counts=counts, n_samples=int(x.shape[0]), min_count=m)


def ring8_coverage(
    samples: Any, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, min_count: int = 1
) -> ModeCoverage:
    """:func:`mode_coverage` for the ring mixture (defaults: ``ring8``, radius 2, std 0.02)."""
    return mode_coverage(samples, ring_centers(n_modes, radius), std, min_count=min_count)


def grid25_coverage(
    samples: Any, *, side: int = 5, spacing: float = 2.0, std: float = 0.05, min_count: int = 1
) -> ModeCoverage:
    """:func:`mode_coverage` for the grid mixture (defaults: ``grid25``, spacing 2, std 0.05)."""
    return mode_coverage(samples, grid_centers(side, spacing), std, min_count=min_count)


def dataset_coverage(name: str, samples: Any, **params: Any) -> ModeCoverage:
    """Mode coverage for a named mixture dataset, ``"ring8"`` or ``"grid25"``.

    ``params`` override the geometry (``radius``/``spacing``, ``std``, ``n_modes``/``side``).
    """
    if name == "ring8":
        return ring8_coverage(samples, **params)
    if name == "grid25":
        return grid25_coverage(samples, **params)
    raise ValueError(f"no mode-coverage metric for dataset {name!r}; expected 'ring8' or 'grid25'")


# --------------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------------
_CLASSIFIER_VERSION = 2
_HIDDEN = 128


def cache_dir() -> Path:
    """Where lecturegrid caches derived files (the digits classifier).

    ``$LECTUREGRID_CACHE`` if set, else ``$XDG_CACHE_HOME/lecturegrid``, else
    ``~/.cache/lecturegrid``.
    """
    env = os.environ.get("LECTUREGRID_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "lecturegrid"


@dataclass(frozen=True)
class DigitClassifier:
    """A trained MLP ``64 -> 128 (ReLU) -> 10`` on [0, 1]-scaled 8x8 digits; inference in NumPy.

    Attributes
    ----------
    w1, b1, w2, b2 : ndarray
        Weights ``(64, 128)``, ``(128,)``, ``(128, 10)``, ``(10,)``.
    test_accuracy : float
        Accuracy on the digits test split.
    """

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    test_accuracy: float

    def logits(self, images: Any) -> np.ndarray:
        """Class logits ``(N, 10)`` of images ``(N, 8, 8)`` or ``(N, 64)`` in [0, 1]."""
        x = np.asarray(images, dtype=np.float64)
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != 64:
            raise ValueError(f"digit images must have shape (N, 8, 8) or (N, 64), got {x.shape}")
        x = x.reshape(x.shape[0], 64)
        return np.maximum(x @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2

    def predict(self, images: Any) -> np.ndarray:
        """Predicted classes ``(N,)`` int64."""
        return self.logits(images).argmax(axis=1)


def _digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The training core's digits split (``generative.data``): flat [0, 1] images and labels."""
    d = load_dataset("digits")
    assert d.train is not None and d.train_labels is not None and d.test_labels is not None
    return (
        d.train.numpy().astype(np.float64).reshape(-1, 64),
        d.train_labels.numpy().astype(np.int64),
        d.test.numpy().astype(np.float64).reshape(-1, 64),
        d.test_labels.numpy().astype(np.int64),
    )


def _train_classifier(seed: int = 0) -> DigitClassifier:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny full-batch problem: threads only add contention
    try:
        with torch.enable_grad():  # callers may sit under no_grad (a trainer's evaluation)
            return _fit_classifier(seed)
    finally:
        torch.set_num_threads(threads)


def _fit_classifier(seed: int) -> DigitClassifier:
    import torch

    x_tr, y_tr, x_te, y_te = _digits_split()
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(64, _HIDDEN), torch.nn.ReLU(), torch.nn.Linear(_HIDDEN, 10))
    with torch.no_grad():
        for p in net.parameters():  # seeded init, independent of the global RNG
            bound = 1.0 / math.sqrt(p.shape[-1] if p.ndim > 1 else _HIDDEN)
            p.uniform_(-bound, bound, generator=g)
    net = net.double()
    xt = torch.as_tensor(x_tr)
    yt = torch.as_tensor(y_tr)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    for _ in range(400):  # full batch: deterministic
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
    w = [p.detach().numpy().copy() for p in net.parameters()]
    clf = DigitClassifier(w[0].T.copy(), w[1], w[2].T.copy(), w[3], 0.0)
    acc = float((clf.predict(x_te) == y_te).mean())
    return DigitClassifier(clf.w1, clf.b1, clf.w2, clf.b2, acc)


def _split_fingerprint() -> str:
    x_tr, y_tr, _, _ = _digits_split()
    h = hashlib.sha256(np.ascontiguousarray(x_tr).tobytes() + np.ascontiguousarray(y_tr).tobytes())
    return h.hexdigest()[:16]


def _weights_digest(clf: DigitClassifier) -> str:
    """SHA-256 of the classifier's weights (dtype, shape, bytes, in a fixed order) and claimed accuracy."""
    h = hashlib.sha256()
    for a in (clf.w1, clf.b1, clf.w2, clf.b2):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}:".encode() + a.tobytes())
    h.update(repr(float(clf.test_accuracy)).encode())
    return h.hexdigest()


def _load_verified(path: Path) -> DigitClassifier | None:
    """The cached classifier if its weights match their checksum and really score the accuracy it claims."""
    try:
        with np.load(path, allow_pickle=False) as z:
            clf = DigitClassifier(z["w1"], z["b1"], z["w2"], z["b2"], float(z["test_accuracy"]))
            digest = str(z["sha256"])
        if digest != _weights_digest(clf):
            return None
        _, _, x_te, y_te = _digits_split()
        accuracy = float((clf.predict(x_te) == y_te).mean())
    except (OSError, KeyError, ValueError, EOFError):
        return None
    # the accuracy is recomputed (297 images, a millisecond); one image of slack for BLAS rounding
    return clf if abs(accuracy - clf.test_accuracy) <= 1.0 / len(y_te) else None


def digit_classifier(*, cache: bool = True, path: str | os.PathLike | None = None) -> DigitClassifier:
    """The digits classifier: loaded from the cache and verified, or trained (about a second) and cached.

    A cached file is used only if its weights match the SHA-256 stored with them and score, on
    the digits test split, the accuracy the file claims; otherwise (damaged, edited, written by
    another version) the classifier is retrained and the cache rewritten.

    Parameters
    ----------
    cache : bool
        Read and write the on-disk cache; ``False`` always trains afresh.
    path : path-like, optional
        Cache file to use instead of ``cache_dir() / "digits_classifier_v2_<split>.npz"``.

    Returns
    -------
    DigitClassifier
    """
    if path is None:
        path = cache_dir() / f"digits_classifier_v{_CLASSIFIER_VERSION}_{_split_fingerprint()}.npz"
    path = Path(path)
    if cache and path.is_file():
        cached = _load_verified(path)
        if cached is not None:
            return cached
    clf = _train_classifier()
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                digest = _weights_digest(clf)
                np.savez(f, w1=clf.w1, b1=clf.b1, w2=clf.w2, b2=clf.b2, test_accuracy=clf.test_accuracy, sha256=digest)
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return clf


def digit_coverage(images: Any, classifier: DigitClassifier | None = None, *, min_count: int = 1) -> ModeCoverage:
    """Digit classes covered by generated images, and the KL of their histogram to uniform.

    Every image counts (there is no "high quality" threshold for digits), so
    ``ModeCoverage.high_quality`` is 1 and ``counts`` is the label histogram. The lecture's
    budget is 10,000 samples.

    Parameters
    ----------
    images : array_like (N, 8, 8) or (N, 64)
        Generated digits, values in [0, 1].
    classifier : DigitClassifier, optional
        Defaults to :func:`digit_classifier` (cached).
    min_count : int
        Images a class needs to count as covered.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"images must be a non-empty batch (N, 8, 8) or (N, 64), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain non-finite values")
    clf = classifier if classifier is not None else digit_classifier()
    labels = clf.predict(x)
    counts = np.bincount(labels, minlength=10).astype(np.int64)
    return ModeCoverage(counts=counts, n_samples=int(x.shape[0]), min_count=check_int(min_count, "min_count"))


# --------------------------------------------------------------------------------------------
def _as_points(a: Any, name: str) -> np.ndarray:
    x = np.asarray(a, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contain non-finite values")
    return x
