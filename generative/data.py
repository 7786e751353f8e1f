"""Offline datasets for the generative models, and the user's own data.

Built-in datasets (nothing is downloaded):

``digits``
    scikit-learn's bundled 8x8 handwritten digits (1,797 images), pixel values ``v / 16`` in
    ``[0, 1]``, split once by a fixed seeded permutation into 1,500 training and 297 test images.
``ring8[:radius=2,std=0.02]``
    8 equal-weight Gaussians with standard deviation ``std`` centred on the circle of radius
    ``radius`` at the angles ``2 pi k / 8``, k = 0..7 (:func:`ring8_centers`).
``grid25[:spacing=2,std=0.05]``
    25 equal-weight Gaussians centred at ``(spacing (i - 2), spacing (j - 2))``, i, j = 0..4, i.e.
    ``(-4 + 2i, -4 + 2j)`` by default (:func:`grid25_centers`).
``moons[:noise=0.1]``
    two interleaved half circles (scikit-learn's ``make_moons`` construction) with Gaussian noise.

The mixtures are sampled on the fly from a seeded ``torch.Generator``; their test set is a fixed
sample of 10,000 points drawn with a seed independent of the run's.

User data, given as a path:

* a ``.npy`` array or ``.npz`` archive of shape ``(n, ...)`` (``.npz``: the array ``x``/``X``/
  ``data``/``images``/``arr_0``, or the only array; labels ``y``/``labels`` if present);
* MNIST-format IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``), or a folder of
  them, where ``t10k-*`` files become the test split;
* a folder of images (PNG, JPEG, ...), all of one size; images in sub-folders get the
  sub-folder as class label.

``uint8``/``bool`` data and floats within ``[0, 1]`` are "bounded" (modelled with a Bernoulli
likelihood in ``[0, 1]``: ``uint8`` values are divided by 255); other data is real-valued
(Gaussian likelihood). :meth:`DataInfo.to_data` maps model outputs back to the data's own range
and dtype.  Every problem with a file raises :class:`DataError` naming the file and the problem.
"""

from __future__ import annotations

import gzip
import math
import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .metrics import grid_centres, ring_centres  # one definition of the mixtures' geometry

__all__ = [
    "GRID25_SPACING",
    "GRID25_STD",
    "MOONS_NOISE",
    "RING8_RADIUS",
    "RING8_STD",
    "BatchStream",
    "DataError",
    "DataInfo",
    "DataSet",
    "builtin_datasets",
    "grid25_centers",
    "load_dataset",
    "read_idx",
    "ring8_centers",
    "sample_mixture",
    "sample_moons",
    "write_idx",
]

RING8_RADIUS = 2.0
RING8_STD = 0.02
GRID25_SPACING = 2.0
GRID25_STD = 0.05
MOONS_NOISE = 0.1
STREAM_TEST_SIZE = 10_000
STREAM_EPOCH_SIZE = 10_000  # examples per nominal "epoch" of an on-the-fly dataset
_TEST_SEED = 2_718_281  # fixed: test sets and splits never depend on the run's seed
_SPLIT_SEED = 0
_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


class DataError(ValueError):
    """A dataset name, file or array that cannot be used; the message names the culprit."""


# --------------------------------------------------------------------------------------------
# Mixtures
# --------------------------------------------------------------------------------------------


def ring8_centers(radius: float = RING8_RADIUS) -> np.ndarray:
    """Centres of the ``ring8`` mixture: ``radius (cos 2 pi k/8, sin 2 pi k/8)``, k = 0..7.

    Returns
    -------
    ndarray, shape (8, 2), float64
    """
    if not (radius > 0 and math.isfinite(radius)):
        raise DataError(f"ring8 radius must be a positive finite number, got {radius!r}")
    return ring_centres(8, radius)


def grid25_centers(spacing: float = GRID25_SPACING) -> np.ndarray:
    """Centres of the ``grid25`` mixture: ``(spacing (i - 2), spacing (j - 2))``, row ``5 i + j``.

    With the default spacing 2 these are ``(-4 + 2i, -4 + 2j)``, i, j = 0..4.

    Returns
    -------
    ndarray, shape (25, 2), float64
    """
    if not (spacing > 0 and math.isfinite(spacing)):
        raise DataError(f"grid25 spacing must be a positive finite number, got {spacing!r}")
    return grid_centres(5, spacing)


def sample_mixture(centers: np.ndarray | torch.Tensor, std: float, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` points from the equal-weight mixture of isotropic Gaussians N(centre, std^2 I).

    Parameters
    ----------
    centers : array, shape (K, d)
    std : float
        Standard deviation of every component.
    n : int
        Number of points.
    generator : torch.Generator
        CPU generator the points are drawn from (components first, then the noise).

    Returns
    -------
    Tensor, shape (n, d), float32
    """
    c = torch.as_tensor(np.asarray(centers), dtype=torch.float32)
    k = torch.randint(0, c.shape[0], (n,), generator=generator)
    return c[k] + std * torch.randn(n, c.shape[1], generator=generator)


def sample_moons(n: int, generator: torch.Generator, noise: float = MOONS_NOISE) -> torch.Tensor:
    """``n`` points of the two-moons set: ``(cos t, sin t)`` or ``(1 - cos t, 1/2 - sin t)``, t ~ U(0, pi), plus N(0, noise^2) noise.

    Returns
    -------
    Tensor, shape (n, 2), float32
    """
    t = torch.rand(n, generator=generator) * math.pi
    lower = torch.randint(0, 2, (n,), generator=generator).bool()
    x = torch.where(lower, 1 - torch.cos(t), torch.cos(t))
    y = torch.where(lower, 0.5 - torch.sin(t), torch.sin(t))
    return torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=generator)


# --------------------------------------------------------------------------------------------
# Data description and batch streams
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about its data, stored with every checkpoint.

    Attributes
    ----------
    name : str
        The dataset spec the run was started with.
    shape : tuple of int
        Shape of one example, in the data's own layout (``(8, 8)`` for digits, ``(2,)`` for 2-D
        points, ``(H, W, 3)`` for colour images).
    bounded : bool
        Model-space values lie in ``[0, 1]`` (Bernoulli likelihood); else real-valued.
    scale, offset : float
        Data's own values = model values * scale + offset (``scale = 255`` for ``uint8``).
    dtype : str
        NumPy dtype of the user's data; :meth:`to_data` rounds and casts integer dtypes.
    image : bool
        Examples are images (``shape`` is ``(H, W)`` or ``(H, W, C)``).
    n_classes : int
        Number of label classes (0 when unlabelled).
    params : dict
        Parameters of a built-in dataset (mixture radius, spacing, std...).
    """

    name: str
    shape: tuple[int, ...]
    bounded: bool
    scale: float = 1.0
    offset: float = 0.0
    dtype: str = "float32"
    image: bool = False
    n_classes: int = 0
    params: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        """Number of values in one example."""
        return int(np.prod(self.shape))

    def to_data(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        """Model-space values (n, *shape) -> the data's own range and dtype (clipped to ``[0, 1]`` first when bounded)."""
        a = x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float32)
        if self.bounded:
            a = np.clip(a, 0.0, 1.0)
        a = a * self.scale + self.offset
        dt = np.dtype(self.dtype)
        if dt.kind in "iub":
            if dt.kind == "b":
                return a >= 0.5
            info = np.iinfo(dt)
            return np.clip(np.rint(a), info.min, info.max).astype(dt)
        return a.astype(dt)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (inverse of :meth:`from_dict`)."""
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataInfo:
        """Rebuild from :meth:`to_dict` output."""
        d = dict(d)
        d["shape"] = tuple(int(s) for s in d["shape"])
        return cls(**d)


class BatchStream:
    """An endless, resumable iterator of training minibatches on one device.

    ``next(stream)`` returns a float32 tensor ``(batch_size, *shape)``.  A finite dataset is
    walked epoch after epoch in the order of :class:`torch.utils.data.DistributedSampler`
    (seeded, each rank its own share; batches run on across epoch boundaries so every batch is
    full); an on-the-fly dataset draws from its own seeded generator.  ``state_dict()`` /
    ``load_state_dict()`` capture the position exactly, so a resumed run sees the same batches.
    """

    def __init__(
        self,
        data: DataSet,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.data, self.batch_size, self.seed = data, int(batch_size), int(seed)
        self.rank, self.world_size, self.device = rank, world_size, torch.device(device)
        self.examples = 0  # examples served by this rank
        if data.train is None:
            self._gen = torch.Generator().manual_seed(self.seed * 1_000_003 + 7919 * rank + 1)
            self._train = None
        else:
            from torch.utils.data import DistributedSampler

            self._train = data.train.to(self.device)
            self._sampler = DistributedSampler(
                range(len(data.train)), num_replicas=world_size, rank=rank, shuffle=True, seed=self.seed
            )
            self.epoch, self.pos = 0, 0
            self._order = self._epoch_order(0)

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        self._sampler.set_epoch(epoch)
        return torch.tensor(list(iter(self._sampler)), dtype=torch.long)

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> torch.Tensor:
        self.examples += self.batch_size
        if self._train is None:
            return self.data.sampler(self.batch_size, self._gen).to(self.device)
        parts, need = [], self.batch_size
        while need:
            take = self._order[self.pos : self.pos + need]
            parts.append(take)
            need -= len(take)
            self.pos += len(take)
            if self.pos >= len(self._order):
                self.epoch += 1
                self.pos = 0
                self._order = self._epoch_order(self.epoch)
        idx = parts[0] if len(parts) == 1 else torch.cat(parts)
        return self._train[idx.to(self.device)]

    @property
    def steps_per_epoch(self) -> float:
        """Batches per (nominal) epoch for this rank."""
        n = self.data.n_train
        return n / (self.batch_size * self.world_size)

    def state_dict(self) -> dict[str, Any]:
        """Exact position: generator state (on the fly) or epoch and offset (finite data)."""
        if self._train is None:
            return {"examples": self.examples, "generator": self._gen.get_state()}
        return {"examples": self.examples, "epoch": self.epoch, "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a position saved by :meth:`state_dict`."""
        self.examples = int(state["examples"])
        if self._train is None:
            self._gen.set_state(state["generator"])
        else:
            self.epoch, self.pos = int(state["epoch"]), int(state["pos"])
            self._order = self._epoch_order(self.epoch)


@dataclass
class DataSet:
    """A loaded dataset: training data (or an on-the-fly sampler), a fixed test set, labels.

    Attributes
    ----------
    info : DataInfo
    train : Tensor (N, *shape) float32 or None
        Training examples in model space; ``None`` for on-the-fly datasets.
    test : Tensor (M, *shape) float32
        Fixed test examples in model space.
    train_labels, test_labels : Tensor (N,) / (M,) int64 or None
    sampler : callable (n, generator) -> Tensor, or None
        Draws training examples on the fly.
    """

    info: DataInfo
    train: torch.Tensor | None
    test: torch.Tensor
    train_labels: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    sampler: Callable[[int, torch.Generator], torch.Tensor] | None = None

    @property
    def n_train(self) -> int:
        """Training examples (a nominal 10,000 per epoch for on-the-fly data)."""
        return STREAM_EPOCH_SIZE if self.train is None else len(self.train)

    def batches(
        self, batch_size: int, seed: int, rank: int = 0, world_size: int = 1, device: torch.device | str = "cpu"
    ) -> BatchStream:
        """An endless resumable :class:`BatchStream` over the training data."""
        return BatchStream(self, batch_size, seed, rank, world_size, device)


# --------------------------------------------------------------------------------------------
# Built-in datasets
# --------------------------------------------------------------------------------------------


def _parse_params(name: str, text: str, allowed: dict[str, float]) -> dict[str, float]:
    params = dict(allowed)
    if not text:
        return params
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            raise DataError(
                f"bad parameter {item!r} for dataset {name!r}; allowed: " + ", ".join(f"{k}=<number>" for k in allowed)
            )
        try:
            v = float(value)
        except ValueError:
            raise DataError(f"parameter {key} of dataset {name!r} must be a number, got {value!r}") from None
        if not (v > 0 and math.isfinite(v)):
            raise DataError(f"parameter {key} of dataset {name!r} must be positive and finite, got {value!r}")
        params[key] = v
    return params


#: Static binarisation threshold of ``digits-binary``, in sklearn's grey levels 0..16.
DIGITS_BINARY_THRESHOLD = 8


def _load_digits(binary: bool = False) -> DataSet:
    from sklearn.datasets import load_digits

    d = load_digits()
    if binary:  # static binarisation: v >= 8 of 16
        x = torch.tensor(d.images >= DIGITS_BINARY_THRESHOLD, dtype=torch.float32)
    else:
        x = torch.tensor(d.images / 16.0, dtype=torch.float32)  # (1797, 8, 8) in [0, 1]
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(_SPLIT_SEED))
    tr, te = perm[:1500], perm[1500:]
    name = "digits-binary" if binary else "digits"
    info = DataInfo(name, (8, 8), bounded=True, image=True, n_classes=10)
    return DataSet(info, x[tr], x[te], y[tr], y[te])


def _stream(
    name: str, spec: str, sampler: Callable[[int, torch.Generator], torch.Tensor], params: dict[str, float]
) -> DataSet:
    test = sampler(STREAM_TEST_SIZE, torch.Generator().manual_seed(_TEST_SEED))
    info = DataInfo(spec, (2,), bounded=False, params=dict(params, kind=name))
    return DataSet(info, None, test, sampler=sampler)


def _builtin(name: str, arg: str, spec: str) -> DataSet:
    if name in ("digits", "digits-binary"):
        if arg:
            raise DataError(f"dataset {name!r} takes no parameters, got {arg!r}")
        return _load_digits(binary=name == "digits-binary")
    if name == "ring8":
        p = _parse_params(name, arg, {"radius": RING8_RADIUS, "std": RING8_STD})
        c = ring8_centers(p["radius"])
        return _stream(name, spec, lambda n, g: sample_mixture(c, p["std"], n, g), p)
    if name == "grid25":
        p = _parse_params(name, arg, {"spacing": GRID25_SPACING, "std": GRID25_STD})
        c = grid25_centers(p["spacing"])
        return _stream(name, spec, lambda n, g: sample_mixture(c, p["std"], n, g), p)
    if name == "moons":
        p = _parse_params(name, arg, {"noise": MOONS_NOISE})
        return _stream(name, spec, lambda n, g: sample_moons(n, g, p["noise"]), p)
    raise KeyError(name)


def builtin_datasets() -> tuple[str, ...]:
    """Names of the built-in datasets."""
    return ("digits", "digits-binary", "ring8", "grid25", "moons")


# --------------------------------------------------------------------------------------------
# User data
# --------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open_maybe_gz(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is a damaged gzip file: {exc}") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read an MNIST-format IDX file (optionally gzip-compressed).

    The format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then one big-endian uint32 per
    dimension and the values in C order.

    Returns
    -------
    ndarray with the file's shape, in native byte order.

    Raises
    ------
    DataError
        If the header is not IDX or the file is shorter or longer than its header says.
    """
    path = Path(path)
    raw = _open_maybe_gz(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{path} is not an IDX file: it must start with two zero bytes, got {raw[:4].hex() or 'an empty file'}"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise DataError(
            f"{path}: unknown IDX type code 0x{code:02x} "
            f"(expected one of {', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})"
        )
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions")
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dt = np.dtype(_IDX_TYPES[code])
    expected = int(np.prod(dims)) * dt.itemsize
    body = len(raw) - 4 - 4 * ndim
    if body != expected:
        raise DataError(
            f"{path}: IDX header says shape {tuple(dims)} ({expected} bytes of "
            f"{dt.name}), but the file holds {body} bytes of data" + (" (truncated)" if body < expected else "")
        )
    a = np.frombuffer(raw, dtype=dt, offset=4 + 4 * ndim).reshape(dims)
    return a.astype(dt.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (the inverse of :func:`read_idx`; ``.gz`` names are compressed)."""
    a = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("=").name: k for k, v in _IDX_TYPES.items()}
    name = a.dtype.newbyteorder("=").name
    if name not in codes or a.ndim == 0:
        raise DataError(f"cannot write dtype {a.dtype} / shape {a.shape} as IDX")
    code = codes[name]
    data = struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    data += a.astype(_IDX_TYPES[code]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _validate_array(x: np.ndarray, where: str) -> np.ndarray:
    if x.dtype == object or x.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected a numeric array, got dtype {x.dtype}")
    if x.ndim < 2:
        raise DataError(
            f"{where}: expected an array of shape (n, ...) with at least 2 dimensions "
            f"(n examples), got shape {x.shape}; reshape scalars to (n, 1)"
        )
    if x.shape[0] < 2:
        raise DataError(f"{where}: need at least 2 examples, got shape {x.shape}")
    if 0 in x.shape:
        raise DataError(f"{where}: empty example shape {x.shape}")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            first = np.argwhere(bad)[0]
            raise DataError(
                f"{where}: {int(bad.sum())} non-finite values (NaN/inf), the first at index "
                f"{tuple(int(i) for i in first)}"
            )
    return x


def _labels(y: np.ndarray | None, n: int, where: str) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu" or (n and y.min() < 0):
        raise DataError(
            f"{where}: labels must be non-negative integers of shape ({n},), got dtype {y.dtype} shape {y.shape}"
        )
    return y


def _from_arrays(
    spec: str,
    x: np.ndarray,
    y: np.ndarray | None,
    where: str,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    image: bool | None = None,
) -> DataSet:
    x = _validate_array(x, where)
    y = _labels(y, len(x), where)
    if x_test is not None:
        x_test = _validate_array(x_test, where + " (test)")
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(f"{where}: test examples have shape {x_test.shape[1:]}, training examples {x.shape[1:]}")
        y_test = _labels(y_test, len(x_test), where + " (test)")
    kind = x.dtype.kind
    scale = 1.0
    if kind == "b":
        bounded = True
    elif x.dtype == np.uint8:
        bounded, scale = True, 255.0
    else:
        lo = float(x.min()) if x_test is None else min(float(x.min()), float(x_test.min()))
        hi = float(x.max()) if x_test is None else max(float(x.max()), float(x_test.max()))
        bounded = kind == "f" and lo >= 0.0 and hi <= 1.0
    if image is None:
        image = x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3, 4))

    def model(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a.astype(np.float32) / scale, dtype=torch.float32)

    if x_test is None:  # fixed seeded 90/10 split
        perm = np.random.default_rng(_SPLIT_SEED).permutation(len(x))
        n_test = max(1, len(x) // 10)
        te, tr = perm[:n_test], perm[n_test:]
        x, x_test = x[tr], x[te]
        if y is not None:
            y, y_test = y[tr], y[te]
    n_classes = 0
    if y is not None:
        n_classes = int(max(y.max(), -1 if y_test is None else y_test.max())) + 1
    info = DataInfo(
        spec,
        tuple(int(s) for s in x.shape[1:]),
        bounded=bounded,
        scale=scale,
        dtype=x.dtype.name,
        image=bool(image),
        n_classes=n_classes,
    )

    def t(a: np.ndarray | None) -> torch.Tensor | None:
        return None if a is None else torch.tensor(a.astype(np.int64))

    return DataSet(info, model(x), model(x_test), t(y), t(y_test))


def _load_npy(path: Path, spec: str) -> DataSet:
    try:
        obj = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"cannot load {path} as a NumPy file: {exc}") from None
    if isinstance(obj, np.ndarray):
        return _from_arrays(spec, obj, None, str(path))
    with obj:
        keys = list(obj.files)
        if not keys:
            raise DataError(f"{path}: the .npz archive holds no arrays")
        xk = next((k for k in ("x", "X", "data", "images", "arr_0") if k in keys), None)
        if xk is None:
            if len(keys) != 1:
                raise DataError(
                    f"{path}: cannot tell which array holds the data among {keys}; name it 'x' (labels 'y')"
                )
            xk = keys[0]
        yk = next((k for k in ("y", "Y", "labels", "targets") if k in keys and k != xk), None)
        return _from_arrays(spec, obj[xk], obj[yk] if yk else None, f"{path}[{xk}]")


def _idx_files(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        n = p.name.lower()
        if "idx" not in n:
            continue
        split = "test" if n.startswith(("t10k", "test")) else "train"
        what = "labels" if "labels" in n or "idx1" in n else "images"
        found.setdefault(f"{split}-{what}", p)
    return found


def _load_idx(path: Path, spec: str) -> DataSet:
    if path.is_dir():
        files = _idx_files(path)
        if "train-images" not in files:
            raise DataError(f"{path}: no training IDX images file (e.g. train-images-idx3-ubyte) in the folder")
    else:
        files = {"train-images": path}
        n = path.name.lower()
        if "images" in n:
            lab = path.with_name(path.name.replace("images", "labels").replace("idx3", "idx1"))
            if lab.exists() and lab != path:
                files["train-labels"] = lab
    x = read_idx(files["train-images"])
    if x.ndim == 1:
        raise DataError(f"{files['train-images']}: a 1-D IDX file holds labels, not examples")
    y = read_idx(files["train-labels"]) if "train-labels" in files else None
    xt = read_idx(files["test-images"]) if "test-images" in files else None
    yt = read_idx(files["test-labels"]) if "test-labels" in files and xt is not None else None
    for lab, imgs, key in ((y, x, "train-labels"), (yt, xt, "test-labels")):
        if lab is not None and (lab.ndim != 1 or len(lab) != len(imgs)):
            raise DataError(f"{files[key]}: {lab.shape} labels for {len(imgs)} images")
    return _from_arrays(spec, x, y, str(files["train-images"]), xt, yt, image=True)


def _load_image_folder(path: Path, spec: str) -> DataSet:
    from PIL import Image, UnidentifiedImageError

    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _IMAGE_EXT)
    if len(files) < 2:
        raise DataError(f"{path}: need at least 2 images ({', '.join(sorted(_IMAGE_EXT))}), found {len(files)}")
    arrays, size = [], None
    for f in files:
        try:
            with Image.open(f) as im:
                im = im.convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"cannot read image {f}: {exc}") from None
        if size is None:
            size = im.size
        elif im.size != size:
            raise DataError(
                f"image {f} is {im.size[0]}x{im.size[1]}, but {files[0]} is "
                f"{size[0]}x{size[1]}; all images must have one size"
            )
        arrays.append(np.asarray(im, dtype=np.uint8))
    x = np.stack(arrays)
    if (x[..., 0] == x[..., 1]).all() and (x[..., 1] == x[..., 2]).all():
        x = np.ascontiguousarray(x[..., 0])  # grayscale: (n, H, W)
    classes = sorted({f.parent.relative_to(path).as_posix() for f in files})
    y = None
    if len(classes) > 1:
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[f.parent.relative_to(path).as_posix()] for f in files], dtype=np.int64)
    return _from_arrays(spec, x, y, str(path), image=True)


def load_dataset(spec: str) -> DataSet:
    """Load a built-in dataset by name or the user's data from a path.

    Parameters
    ----------
    spec : str
        ``"digits"``, ``"digits-binary"``, ``"ring8"``, ``"grid25"``, ``"moons"``, optionally with parameters
        (``"ring8:radius=3,std=0.05"``, ``"grid25:spacing=1"``, ``"moons:noise=0.05"``), or the
        path of a ``.npy``/``.npz`` file, an IDX file, a folder of IDX files or a folder of images.

    Returns
    -------
    DataSet

    Raises
    ------
    DataError
        Unknown name, missing path, or a file with the wrong format, shape or values.
    """
    if not isinstance(spec, str) or not spec:
        raise DataError(f"dataset must be a name or a path, got {spec!r}")
    path = Path(spec).expanduser()
    if not path.exists():
        name, _, arg = spec.partition(":")
        try:
            return _builtin(name, arg, spec)
        except KeyError:
            raise DataError(
                f"unknown dataset {spec!r}: not a built-in dataset "
                f"({', '.join(builtin_datasets())}) and no such file or folder"
            ) from None
    if path.is_dir():
        if _idx_files(path):
            return _load_idx(path, spec)
        return _load_image_folder(path, spec)
    suffixes = "".join(path.suffixes).lower()
    if path.suffix.lower() in (".npy", ".npz"):
        return _load_npy(path, spec)
    if "idx" in path.name.lower() or suffixes.endswith(".gz"):
        return _load_idx(path, spec)
    if path.suffix.lower() in _IMAGE_EXT:
        raise DataError(f"{path} is a single image; pass the folder that holds the images")
    raise DataError(f"{path}: unknown data format (expected .npy, .npz, an IDX file or a folder)")
