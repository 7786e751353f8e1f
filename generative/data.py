"""Offline datasets for the generative models, and the user's own data.

Built-in datasets (nothing is downloaded):

``digits``
    scikit-learn's bundled 8x8 handwritten digits (1,797 images), pixel values ``v / 16`` in
    ``[0, 1]``, split once by a fixed seeded permutation into 1,500 training and 297 test images.
``ring8[:radius=2,std=0.02]``
    8 equal-weight Gaussians with standard deviation ``std`` centred on the circle of radius
    ``radius`` at the angles ``2 pi k / 8``, k = 0..7 (:func:`ring_centers`).
``grid25[:spacing=2,std=0.05]``
    25 equal-weight Gaussians centred at ``(spacing (i - 2), spacing (j - 2))``, i, j = 0..4, i.e.
    ``(-4 + 2i, -4 + 2j)`` by default (:func:`grid_centers`).
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
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generative._checks import check_int, check_number

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
    "grid_centers",
    "load_dataset",
    "read_idx",
    "ring_centers",
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
SEED_INIT, SEED_METHOD, SEED_DATA, SEED_PICTURES, SEED_EVAL = range(5)  # derive_seed keys of the streams
_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


class DataError(ValueError):
    """A dataset name, file or array that cannot be used; the message names the culprit."""


def derive_seed(seed: int, *key: int) -> int:
    """An independent seed in ``[0, 2**63)`` for the stream named ``key``, from one user ``seed``.

    NumPy's ``SeedSequence(seed, spawn_key=key)``: distinct keys give statistically independent
    streams (no hand-mixed constants; ``key`` is e.g. ``(stream, rank)``).
    """
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


# --------------------------------------------------------------------------------------------
# Mixtures
# --------------------------------------------------------------------------------------------


def ring_centers(n_modes: int = 8, radius: float = RING8_RADIUS) -> np.ndarray:
    """Centres of the ring mixture: ``radius (cos 2 pi k/n, sin 2 pi k/n)``, k = 0..n-1 (``ring8``: n = 8).

    Parameters
    ----------
    n_modes : int
        Number of modes (8 for ``ring8``).
    radius : float
        Radius of the ring (2 for ``ring8``).

    Returns
    -------
    ndarray, shape (n_modes, 2), float64
    """
    n = check_int(n_modes, "n_modes")
    r = check_number(radius, "radius", positive=True)
    angle = 2.0 * np.pi * np.arange(n) / n
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def grid_centers(side: int = 5, spacing: float = GRID25_SPACING) -> np.ndarray:
    """Centres of the square grid mixture, centred on the origin, row ``side * i + j`` at ``(x_i, x_j)``.

    ``x_i = spacing (i - (side - 1) / 2)``; for ``grid25`` (side 5, spacing 2) these are
    ``(-4 + 2i, -4 + 2j)``, i, j = 0..4.

    Returns
    -------
    ndarray, shape (side**2, 2), float64
    """
    n = check_int(side, "side")
    s = check_number(spacing, "spacing", positive=True)
    axis = (np.arange(n) - (n - 1) / 2.0) * s
    ii, jj = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([ii.ravel(), jj.ravel()], axis=1)


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
        a = a.astype(np.float64) * self.scale + self.offset  # float64: scales up to 1e300 stay finite
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
            self._gen = torch.Generator().manual_seed(derive_seed(self.seed, SEED_DATA, rank))
            self._train = None
        else:
            from torch.utils.data import DistributedSampler

            self._train = data.train.to(self.device)
            self._sampler: DistributedSampler = DistributedSampler(
                range(len(data.train)),  # type: ignore[arg-type]  # any sized object serves
                num_replicas=world_size,
                rank=rank,
                shuffle=True,
                seed=self.seed,
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
            assert self.data.sampler is not None  # on-the-fly data has a sampler
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
        c = ring_centers(8, p["radius"])
        return _stream(name, spec, lambda n, g: sample_mixture(c, p["std"], n, g), p)
    if name == "grid25":
        p = _parse_params(name, arg, {"spacing": GRID25_SPACING, "std": GRID25_STD})
        c = grid_centers(5, p["spacing"])
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


_GZIP_MAX_RATIO = 1032  # deflate emits at most ~1032 bytes per compressed byte
_CHUNK = 1 << 24


class _GunzipStream:
    """A gzip file decompressed on demand, never more than asked: ``read(n)`` (zlib's ``max_length``).

    ``gzip.GzipFile`` bounds its output too, but feeds zlib 8 KB at a time from Python (2-3x
    slower on MNIST-sized files); here zlib gets 1 MB per call.  Concatenated gzip members are
    read as one stream, as ``gzip`` does.
    """

    def __init__(self, fh: Any) -> None:
        self.fh, self.z = fh, zlib.decompressobj(16 + zlib.MAX_WBITS)

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            if self.z.eof:  # a member ended: what follows is the next member (or nothing)
                # (zlib leaves the rest in unused_data, and may repeat it in unconsumed_tail)
                data = self.z.unused_data or self.fh.read(1 << 20)
                if not data:
                    break
                self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif self.z.unconsumed_tail:
                data = self.z.unconsumed_tail
            else:
                data = self.fh.read(1 << 20)
                if not data:
                    raise EOFError("the compressed stream ends before its end marker")
            out += self.z.decompress(data, n - len(out))
        return bytes(out)


def _read_bounded(f: Any, n: int) -> tuple[np.ndarray, int]:
    """Up to ``n`` bytes of ``f`` into a new uint8 buffer, in chunks; (buffer, bytes read).

    The buffer is ``np.empty``: the operating system backs its pages only as data is written
    into them, so a file holding less than it declares costs only what it holds.
    """
    buf = np.empty(n, np.uint8)
    got = 0
    while got < n:
        part = f.read(min(_CHUNK, n - got))
        if not part:
            break
        buf[got : got + len(part)] = np.frombuffer(part, np.uint8)
        got += len(part)
    return buf, got


def _idx_header(f: Any, path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """Read and check the IDX header: (big-endian dtype, dims, header bytes)."""
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise DataError(
            f"{path} is not an IDX file: it must start with two zero bytes, got {head.hex() or 'an empty file'}"
        )
    code, ndim = head[2], head[3]
    if code not in _IDX_TYPES:
        raise DataError(
            f"{path}: unknown IDX type code 0x{code:02x} "
            f"(expected one of {', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})"
        )
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header ({4 + len(raw_dims)} bytes for {ndim} dimensions)")
    return np.dtype(_IDX_TYPES[code]), struct.unpack(f">{ndim}I", raw_dims), 4 + 4 * ndim


def read_idx(path: str | Path) -> np.ndarray:
    """Read an MNIST-format IDX file (optionally gzip-compressed), header first.

    The format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then one big-endian uint32 per
    dimension and the values in C order.  The header is read first and bounds the read: a
    plain file must hold exactly the bytes it declares; a gzip file may not declare more than
    deflate can expand its size to (about 1032x), is decompressed in chunks only up to the
    declared size, and is refused if more data follows (a "gzip bomb" costs no more memory
    than its header admits).

    Returns
    -------
    ndarray with the file's shape, in native byte order.

    Raises
    ------
    DataError
        If the header is not IDX, or the file is shorter or longer than its header says.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            gz = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            f: Any = _GunzipStream(fh) if gz else fh
            dt, dims, header = _idx_header(f, path)
            expected = math.prod(dims) * dt.itemsize
            room = size * _GZIP_MAX_RATIO if gz else size - header
            if expected > room or (not gz and expected != room):
                held = (
                    f"a {size}-byte gzip file holds at most about {room} bytes"
                    if gz
                    else f"the file holds {room} bytes of data"
                )
                raise DataError(
                    f"{path}: IDX header says shape {tuple(dims)} ({expected} bytes of {dt.name}), but {held}"
                    + (" (truncated)" if not gz and room < expected else "")
                )
            body, got = _read_bounded(f, expected)
            if got < expected:
                raise DataError(f"{path}: IDX header says {expected} bytes of data, the file holds {got} (truncated)")
            if f.read(1):
                raise DataError(f"{path}: the file holds more data than its IDX header says ({expected} bytes)")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    except (EOFError, zlib.error) as exc:
        raise DataError(f"{path} is a damaged gzip file: {exc}") from None
    return body.view(dt).reshape(dims).astype(dt.newbyteorder("="), copy=False)


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


REAL_RANGE = 10.0  # real-valued data beyond +-REAL_RANGE is shifted and scaled into [-1, 1]


def _model_scaling(x: np.ndarray, x_test: np.ndarray | None) -> tuple[bool, float, float]:
    """(bounded, scale, offset) with data = model * scale + offset.

    ``bool`` data is bounded as it is; unsigned integers are bounded, divided by their dtype's
    maximum (``uint8`` by 255, ``uint16`` by 65535); floats within ``[0, 1]`` are bounded as they
    are; other data is real-valued, unchanged within ``[-10, 10]``, else centred on the
    midpoint of its range and divided by the power of ten that brings it into ``[-1, 1]`` (a
    VAE's first steps overflow on raw values in the hundreds, and float32 holds no value
    beyond 3.4e38).
    """
    kind = x.dtype.kind
    if kind == "b":
        return True, 1.0, 0.0
    if kind == "u":
        return True, float(np.iinfo(x.dtype).max), 0.0
    parts = [x] if x_test is None else [x, x_test]
    lo, hi = min(float(p.min()) for p in parts), max(float(p.max()) for p in parts)
    if kind == "f" and lo >= 0.0 and hi <= 1.0:
        return True, 1.0, 0.0
    if max(abs(lo), abs(hi)) <= REAL_RANGE:
        return False, 1.0, 0.0
    offset, half = lo / 2 + hi / 2, hi / 2 - lo / 2
    scale = 10.0 ** math.ceil(math.log10(half)) if half > 0 else 1.0
    if not math.isfinite(scale):  # pragma: no cover - a range beyond 1e308
        raise DataError(f"values span [{lo}, {hi}]: too wide to scale; rescale the data")
    return False, scale, offset


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
    bounded, scale, offset = _model_scaling(x, x_test)
    if image is None:
        image = x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3, 4))

    def model(a: np.ndarray) -> torch.Tensor:
        if x.dtype.kind in "bu" or scale == 1.0:  # exact in float32 (uint8 / 255 as it always was)
            return torch.tensor(a.astype(np.float32) / np.float32(scale), dtype=torch.float32)
        return torch.tensor(((a.astype(np.float64) - offset) / scale).astype(np.float32), dtype=torch.float32)

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
        offset=offset,
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
    for labels, images, key in ((y, x, "train-labels"), (yt, xt, "test-labels")):
        if labels is not None and images is not None and (labels.ndim != 1 or len(labels) != len(images)):
            raise DataError(f"{files[key]}: {labels.shape} labels for {len(images)} images")
    return _from_arrays(spec, x, y, str(files["train-images"]), xt, yt, image=True)


def _load_image_folder(path: Path, spec: str) -> DataSet:
    from PIL import Image, UnidentifiedImageError

    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _IMAGE_EXT)
    if len(files) < 2:
        raise DataError(f"{path}: need at least 2 images ({', '.join(sorted(_IMAGE_EXT))}), found {len(files)}")
    arrays, size = [], None
    for f in files:
        try:
            with Image.open(f) as opened:
                im = opened.convert("RGB")
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
