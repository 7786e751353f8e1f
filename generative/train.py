"""The training core shared by every generative method (VAE, AE, GAN, ...).

A *method* is a class registered under a name (:func:`register_method`) that owns its modules
and optimisers and knows how to take one training step; the core does everything else:

* picks the device (``cuda``, then ``mps``, then ``cpu``; overridable), optional bf16 autocast
  and ``torch.compile`` (:class:`Context`);
* under ``torchrun`` joins the process group (``nccl`` on CUDA, ``gloo`` on CPU), gives every
  rank its share of the data (:class:`torch.utils.data.DistributedSampler` order) and lets the
  method wrap modules in :class:`~torch.nn.parallel.DistributedDataParallel`
  (:meth:`Context.wrap`); only rank 0 writes;
* keeps one run folder: ``config.json``, ``metrics.jsonl`` (one JSON object per logging
  interval: step, epoch, mean losses over the interval, time, samples/s), ``samples/*.png``,
  ``checkpoint.pt`` and ``eval.json``;
* writes checkpoints atomically (temporary file, ``fsync``, ``os.replace``) holding modules,
  optimisers, the method's extra state, the step, every random state (torch, CUDA, NumPy,
  Python, the method's generator, the data stream) and the configs, so ``resume=True``
  continues exactly: on the CPU with a fixed seed a resumed run logs bit-identical losses;
* saves a checkpoint and stops cleanly on SIGINT/SIGTERM (:class:`TrainingInterrupted`);
* stops on a non-finite loss, naming the step, without overwriting the last good checkpoint
  (:class:`NonFiniteLossError`);
* shows a tqdm progress bar with the live losses and samples/s unless ``quiet``.

The plug-in interface (see ``notes/generative-core-api.md``)::

    @register_method("mine")
    class Mine(Method):
        Config = MineConfig                      # a dataclass; its fields become CLI options
        def __init__(self, config, info, ctx): ...   # build modules and optimisers on ctx.device
        def modules(self) -> dict[str, nn.Module]: ...        # unwrapped, checkpointed
        def optimizers(self) -> dict[str, Optimizer]: ...     # checkpointed
        def train_step(self, batches, step) -> dict[str, float | Tensor]: ...  # pulls next(batches)
        def sample(self, n, generator) -> Tensor: ...          # (n, *info.shape), model space
        # optional: evaluate, figures, extra_state/load_extra_state, batches_per_step
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from generative._config import config_from_dict, config_replace, field_names
from generative.data import DataInfo, DataSet, load_dataset

__all__ = [
    "CHECKPOINT_NAME",
    "Context",
    "Method",
    "MethodConfig",
    "NonFiniteLossError",
    "Run",
    "RunResult",
    "TrainConfig",
    "TrainingInterrupted",
    "available_methods",
    "get_method",
    "load_run",
    "pick_device",
    "register_method",
    "resolve_checkpoint",
    "save_checkpoint_atomic",
    "train",
]

CHECKPOINT_NAME = "checkpoint.pt"
_FORMAT = 1


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------


def _f(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    """Options common to every method (each one is a ``--option`` of ``python -m generative train``)."""

    dataset: str = _f(
        "digits",
        "built-in dataset (digits, ring8, grid25, moons; parameters as ring8:std=0.05) "
        "or a path (.npy/.npz, IDX file or folder, image folder)",
    )
    out: str = _f("", "run folder (default runs/<method>-<dataset>)")
    seed: int = _f(0, "seed of the model initialisation, the data order and the noise")
    epochs: float = _f(
        10.0,
        "training length in passes over the training set (10,000 examples for "
        "on-the-fly data); ignored when --steps is given",
    )
    steps: int = _f(0, "training length in steps (optimiser updates); 0 = use --epochs")
    batch_size: int = _f(100, "minibatch size M per process")
    device: str = _f("auto", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    precision: Literal["fp32", "bf16"] = _f("fp32", "bf16 runs the forward passes under bf16 autocast")
    compile: bool = _f(False, "wrap the networks in torch.compile")
    compile_backend: str = _f("inductor", "torch.compile backend")
    log_every: int = _f(50, "steps between lines of metrics.jsonl")
    sample_every: int = _f(500, "steps between sample pictures in samples/ (0 = only at the end)")
    checkpoint_every: int = _f(500, "steps between checkpoints (0 = only at the end)")
    eval_at_end: bool = _f(True, "evaluate on the test set at the end and write eval.json")
    quiet: bool = _f(False, "no progress bar and no printed summary")

    def __post_init__(self) -> None:
        for name in ("steps", "log_every", "sample_every", "checkpoint_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {getattr(self, name)!r}")
        if self.log_every == 0:
            raise ValueError("log_every must be >= 1, got 0")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if not (isinstance(self.epochs, (int, float)) and self.epochs > 0 and math.isfinite(self.epochs)):
            raise ValueError(f"epochs must be a positive number, got {self.epochs!r}")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")


@dataclass
class MethodConfig:
    """Base class of the per-method configs (empty)."""


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; ``.step`` is the step, the last good checkpoint is kept."""

    def __init__(self, message: str, step: int, losses: dict[str, float]) -> None:
        super().__init__(message)
        self.step, self.losses = step, losses


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM stopped training after saving a checkpoint at ``.step``."""

    def __init__(self, message: str, step: int, signum: int, checkpoint: Path | None) -> None:
        super().__init__(message)
        self.step, self.signum, self.checkpoint = step, signum, checkpoint


# --------------------------------------------------------------------------------------------
# Device, distributed, context
# --------------------------------------------------------------------------------------------


def pick_device(device: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """``"auto"``: CUDA (device ``local_rank``), then Apple MPS, then the CPU; else the named device.

    Raises
    ------
    ValueError
        Unknown device string or a device that is not available here.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available")
        if dev.index is None:
            dev = torch.device("cuda", local_rank % torch.cuda.device_count())
    elif dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device {device!r} requested but MPS is not available")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unsupported device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return dev


@dataclass
class Context:
    """What a method gets from the core besides its config and the data description.

    Attributes
    ----------
    device : torch.device
    generator : torch.Generator
        The method's own seeded generator on ``device`` (noise, reparameterisation samples);
        its state is checkpointed.  Distinct per rank.
    rank, world_size : int
        Process index and count (``0`` / ``1`` without ``torchrun``).
    precision : "fp32" or "bf16"
    compile : bool
    compile_backend : str
    """

    device: torch.device
    generator: torch.Generator
    rank: int = 0
    world_size: int = 1
    precision: str = "fp32"
    compile: bool = False
    compile_backend: str = "inductor"

    @property
    def distributed(self) -> bool:
        """True when running under ``torchrun`` with more than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that writes files)."""
        return self.rank == 0

    def autocast(self) -> AbstractContextManager:
        """bf16 autocast on the context's device when ``precision == "bf16"``, else a no-op."""
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def wrap(self, module: nn.Module, **ddp_kwargs: Any) -> nn.Module:
        """The module to run forward passes through: DDP-wrapped when distributed, then compiled if asked.

        Keep a reference to the plain module for :meth:`Method.modules` (checkpoints store
        unwrapped weights).
        """
        out: nn.Module = module
        if self.distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            out = DistributedDataParallel(module, device_ids=ids, **ddp_kwargs)
        if self.compile:
            out = torch.compile(out, backend=self.compile_backend)
        return out

    def all_reduce_grads(self, *modules: nn.Module) -> None:
        """Average the gradients of ``modules`` over ranks (for steps DDP cannot express, e.g.
        double backward for a gradient penalty).  No-op in a single process."""
        if not self.distributed:
            return
        import torch.distributed as dist

        grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        k = 0
        for g in grads:
            g.copy_(flat[k : k + g.numel()].view_as(g))
            k += g.numel()


# --------------------------------------------------------------------------------------------
# Methods and their registry
# --------------------------------------------------------------------------------------------


class Method:
    """Base class of a training method; subclass, set ``Config``, register with :func:`register_method`.

    The core constructs ``Method(config, info, ctx)`` with the method's config dataclass, the
    :class:`~generative.data.DataInfo` of the training data and a :class:`Context`.
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type] = MethodConfig

    def __init__(self, config: Any, info: DataInfo, ctx: Context) -> None:
        self.config, self.info, self.ctx = config, info, ctx

    # -- required ------------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """Named (unwrapped) modules whose ``state_dict`` goes into checkpoints."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Named optimisers whose ``state_dict`` goes into checkpoints."""
        raise NotImplementedError

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> dict[str, float | torch.Tensor]:
        """One training step: pull as many minibatches as needed with ``next(batches)``, update.

        ``step`` counts the steps completed before this one (0 on the first call).  Returns the
        scalars to log (floats or 0-d tensors); the core stops the run if any is not finite.
        """
        raise NotImplementedError

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples ``(n, *info.shape)`` in model space, drawn with ``generator``."""
        raise NotImplementedError

    # -- optional ------------------------------------------------------------------------------
    @property
    def batches_per_step(self) -> int:
        """Minibatches one ``train_step`` pulls (converts ``epochs`` into steps); default 1."""
        return 1

    def evaluate(self, data: DataSet, generator: torch.Generator) -> dict[str, float]:
        """Test-set figures written to ``eval.json``; default none."""
        return {}

    def figures(self, data: DataSet, generator: torch.Generator) -> dict[str, Any]:
        """Named PIL images saved at each sampling interval; default: ``samples`` (grid or scatter)."""
        x = self.sample(64 if self.info.image else 2000, generator)
        return {"samples": sample_picture(x, self.info, data)} if picture_kind(self.info) else {}

    def extra_state(self) -> dict[str, Any]:
        """Additional checkpointed state (tensors, numbers, strings, lists, dicts), e.g. EMA weights."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`extra_state`."""

    def train(self, mode: bool = True) -> Method:
        """Put every module in training (or eval) mode."""
        for m in self.modules().values():
            m.train(mode)
        return self


def picture_kind(info: DataInfo) -> str:
    """ "grid" for images, "scatter" for 2-D points, "" when there is no natural picture."""
    if info.image and len(info.shape) in (2, 3):
        return "grid"
    if info.shape == (2,):
        return "scatter"
    return ""


def sample_picture(x: torch.Tensor, info: DataInfo, data: DataSet | None = None, title: str = ""):
    """A PIL picture of model-space samples: an image grid, or a scatter over the test data."""
    from generative import plots

    a = x.detach().float().cpu().numpy()
    if picture_kind(info) == "grid":
        a = np.clip(a, 0, 1) if info.bounded else (a - a.min()) / max(float(a.max() - a.min()), 1e-12)
        return plots.image_grid(a[:64], scale=max(1, 64 // max(info.shape[:2])))
    sets = [(a, (214, 39, 40))]
    if data is not None:  # the data on top, so uncovered modes stand out
        sets.append((data.test[:2000].numpy(), (31, 119, 180)))
    return plots.scatter(sets, title=title or ("samples (red), data (blue)" if data is not None else "samples"))


_METHODS: dict[str, type[Method]] = {}
_BUILTIN_MODULES = {
    "vae": "generative.vae",
    "ae": "generative.vae",
    "gan": "generative.gan",
    "veegan": "generative.veegan",
}


def register_method(name: str):
    """Class decorator registering a :class:`Method` subclass under ``name`` for the CLI and :func:`train`.

    Raises
    ------
    ValueError
        Empty or taken name, a ``Config`` that is not a dataclass, or a config field that clashes
        with a :class:`TrainConfig` field (both become CLI options).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"method name must be an identifier, got {name!r}")

    def deco(cls: type[Method]) -> type[Method]:
        if name in _METHODS and _METHODS[name] is not cls:
            raise ValueError(f"method {name!r} is already registered ({_METHODS[name].__qualname__})")
        if not (isinstance(cls, type) and issubclass(cls, Method)):
            raise ValueError(f"{cls!r} is not a subclass of generative.train.Method")
        if not dataclasses.is_dataclass(cls.Config):
            raise ValueError(f"{cls.__qualname__}.Config must be a dataclass, got {cls.Config!r}")
        clash = set(field_names(cls.Config)) & set(field_names(TrainConfig))
        if clash:
            raise ValueError(f"{cls.__qualname__}.Config fields {sorted(clash)} clash with TrainConfig fields")
        cls.name = name
        _METHODS[name] = cls
        return cls

    return deco


def get_method(name: str) -> type[Method]:
    """The method class registered as ``name`` (importing built-in method modules on demand)."""
    if name not in _METHODS and name in _BUILTIN_MODULES:
        _import_builtin(_BUILTIN_MODULES[name])
    if name not in _METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(available_methods())}")
    return _METHODS[name]


def available_methods() -> list[str]:
    """Names of all registered methods (built-ins imported first)."""
    for mod in sorted(set(_BUILTIN_MODULES.values())):
        _import_builtin(mod)
    return sorted(_METHODS)


def _import_builtin(module: str) -> None:
    """Import a built-in method module; a module not in this install is skipped, other errors raise."""
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise


# --------------------------------------------------------------------------------------------
# Random state and checkpoints
# --------------------------------------------------------------------------------------------


def _rng_state(ctx: Context, stream: Any) -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    py = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "python": [py[0], list(py[1]), py[2]],
        "method": ctx.generator.get_state(),
        "data": stream.state_dict(),
    }


def _set_rng_state(state: dict[str, Any], ctx: Context, stream: Any) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))
    ctx.generator.set_state(state["method"])
    stream.load_state_dict(state["data"])


def save_checkpoint_atomic(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to a temporary file beside ``path``, ``fsync``, then ``os.replace``.

    A crash at any moment leaves either the old file or the new one, never a torn file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - e.g. Windows
        pass
    return path


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a run folder's ``checkpoint.pt``; ValueError when there is none."""
    p = Path(path)
    if p.is_dir():
        p = p / CHECKPOINT_NAME
    if not p.is_file():
        raise ValueError(
            f"no checkpoint at {path} (expected a checkpoint file or a run folder holding {CHECKPOINT_NAME})"
        )
    return p


def _load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    p = resolve_checkpoint(path)
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"cannot read checkpoint {p}: {exc}") from None
    if not isinstance(ck, dict) or ck.get("format") != _FORMAT:
        raise ValueError(f"{p} is not a generative checkpoint (format {_FORMAT})")
    return ck


# --------------------------------------------------------------------------------------------
# Loading a finished run
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    """A trained method restored from a checkpoint (:func:`load_run`)."""

    method: Method
    info: DataInfo
    train_config: TrainConfig
    step: int
    path: Path

    @property
    def run_dir(self) -> Path:
        """The folder holding the checkpoint."""
        return self.path.parent

    def sample(self, n: int, seed: int = 0, batch: int = 10_000) -> np.ndarray:
        """``n`` samples in the data's own shape, range and dtype (see :meth:`DataInfo.to_data`)."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        g = torch.Generator(self.method.ctx.device).manual_seed(seed)
        self.method.train(False)
        with torch.no_grad():
            parts = [self.method.sample(min(batch, n - k), g) for k in range(0, n, batch)]
        return self.info.to_data(torch.cat(parts))

    def dataset(self) -> DataSet:
        """The run's dataset, loaded again from its spec."""
        return load_dataset(self.train_config.dataset)


def load_run(checkpoint: str | os.PathLike, device: str = "auto", overrides: dict[str, Any] | None = None) -> Run:
    """Restore the method of a checkpoint file or run folder for sampling and evaluation.

    Parameters
    ----------
    checkpoint : path
        A checkpoint file, or a run folder (its ``checkpoint.pt``).
    device : str
        As :func:`pick_device`.
    overrides : dict, optional
        Method config fields to change (e.g. ``{"iwae_k": 5000}`` for evaluation).
    """
    path = resolve_checkpoint(checkpoint)
    ck = _load_checkpoint(path)
    cls = get_method(ck["method"])
    tcfg = config_from_dict(TrainConfig, ck["train_config"])
    mcfg = config_from_dict(cls.Config, ck["method_config"])
    if overrides:
        mcfg = config_replace(mcfg, overrides)
    dev = pick_device(device)
    ctx = Context(dev, torch.Generator(dev).manual_seed(tcfg.seed))
    info = DataInfo.from_dict(ck["data_info"])
    with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
        method = cls(mcfg, info, ctx)
    for k, m in method.modules().items():
        m.load_state_dict(ck["modules"][k])
    method.load_extra_state(ck.get("extra", {}))
    method.train(False)
    return Run(method, info, tcfg, int(ck["step"]), path)


# --------------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What :func:`train` returns: the run folder, final step, last logged metrics, evaluation."""

    run_dir: Path
    step: int
    metrics: dict[str, float]
    evaluation: dict[str, float]
    checkpoint: Path


class _SignalFlag:
    """Records SIGINT/SIGTERM; a second signal interrupts immediately."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _SignalFlag:
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                self._old[s] = signal.signal(s, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum:
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


def _init_distributed() -> tuple[int, int, int, bool]:
    """(rank, world_size, local_rank, created) from torchrun's environment."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0, False
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), local, False
    return int(os.environ["RANK"]), world, local, True


def _import_group_pinning_modules() -> None:
    """Import, before the process group exists, the modules that would otherwise keep it alive.

    ``torch.distributed.nn.functional`` declares ``group=group.WORLD`` as a default argument of
    its ten collectives, evaluated when the module is imported.  It is imported lazily (through
    ``torch._dynamo``, which building the first optimiser imports), so after
    ``init_process_group`` those defaults would hold the default group:
    ``destroy_process_group`` then cannot free it, and Gloo's worker threads are torn down in
    interpreter finalisation instead, where a thread that needs the GIL to free a tensor exits
    through a ``noexcept`` destructor and the process aborts ("terminate called without an
    active exception"), about once in 100 runs.  Imported first, the defaults hold ``None``.
    """
    import torch.distributed as dist

    if dist.is_available():
        import torch.distributed.nn.functional  # noqa: F401


def _default_out(method: str, dataset: str) -> str:
    stem = Path(dataset).stem if os.sep in dataset or Path(dataset).exists() else dataset
    return str(Path("runs") / f"{method}-{stem.replace(':', '_').replace(',', '_').replace('=', '')}")


def _mean_over_ranks(values: dict[str, float], ctx: Context) -> dict[str, float]:
    if not ctx.distributed or not values:
        return values
    import torch.distributed as dist

    keys = sorted(values)
    t = torch.tensor(
        [values[k] for k in keys], dtype=torch.float64, device=ctx.device if dist.get_backend() == "nccl" else "cpu"
    )
    dist.all_reduce(t)
    return dict(zip(keys, (t / ctx.world_size).tolist()))


def _any_rank(flag: int, ctx: Context) -> int:
    if not ctx.distributed:
        return flag
    import torch.distributed as dist

    t = torch.tensor([flag], dtype=torch.int64, device=ctx.device if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t.item())


def _gather(obj: Any, ctx: Context) -> list[Any]:
    if not ctx.distributed:
        return [obj]
    import torch.distributed as dist

    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def _open_log(path: Path, step: int):
    """Open ``metrics.jsonl`` for appending, first dropping lines logged after ``step`` (the
    checkpoint being resumed: a crash may have logged steps the resumed run will log again);
    a fresh run (``step == 0``) starts an empty log."""
    keep = []
    if step and path.exists():
        for line in path.read_text().splitlines():
            try:
                if json.loads(line)["step"] <= step:
                    keep.append(line + "\n")
            except (ValueError, KeyError, TypeError):
                continue
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text("".join(keep))
    os.replace(tmp, path)
    return open(path, "a")


def train(
    method: str, config: TrainConfig | None = None, method_config: Any = None, *, resume: bool = False
) -> RunResult:
    """Train ``method`` on ``config.dataset``; the whole life of a run folder.

    Parameters
    ----------
    method : str
        Registered method name (``"vae"``, ``"ae"``, ``"gan"``...).
    config : TrainConfig, optional
        Common options (default ``TrainConfig()``).
    method_config : the method's ``Config`` dataclass, optional
        Default: the method's defaults.
    resume : bool
        Continue the run in ``config.out`` from its checkpoint.  The saved configs are used;
        fields of ``config``/``method_config`` that differ from their defaults override them
        (typically ``steps``/``epochs`` to train longer).

    Returns
    -------
    RunResult

    Raises
    ------
    NonFiniteLossError
        A loss became NaN/inf (the step is named; the last good checkpoint is kept).
    TrainingInterrupted
        SIGINT/SIGTERM arrived; a checkpoint of the last completed step was written first.
    ValueError
        Bad configuration, data, or a run folder that already holds a run when not resuming.
    """
    cls = get_method(method)
    tcfg = config or TrainConfig()
    mcfg = method_config if method_config is not None else cls.Config()
    if not isinstance(tcfg, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(tcfg).__name__}")
    if type(mcfg) is not cls.Config and dataclasses.is_dataclass(mcfg) and issubclass(cls.Config, type(mcfg)):
        mcfg = config_from_dict(cls.Config, asdict(mcfg))  # e.g. a VAEConfig for the AE
    if not isinstance(mcfg, cls.Config):
        raise ValueError(f"method_config for {method!r} must be a {cls.Config.__name__}, got {type(mcfg).__name__}")
    if not tcfg.out:
        tcfg = dataclasses.replace(tcfg, out=_default_out(method, tcfg.dataset))
    run_dir = Path(tcfg.out)
    ck = None
    if resume:
        ck = _load_checkpoint(run_dir)
        if ck["method"] != method:
            raise ValueError(f"{run_dir} holds a {ck['method']!r} run, not {method!r}")
        saved_t = config_from_dict(TrainConfig, ck["train_config"])
        saved_m = config_from_dict(cls.Config, ck["method_config"])
        tcfg = config_replace(
            saved_t, {k: v for k, v in asdict(tcfg).items() if v != getattr(TrainConfig(), k) and k != "out"}
        )
        mcfg = config_replace(saved_m, {k: v for k, v in asdict(mcfg).items() if v != getattr(cls.Config(), k)})
    elif (run_dir / CHECKPOINT_NAME).exists():
        raise ValueError(
            f"run folder {run_dir} already holds a run; pass resume=True (--resume) to "
            f"continue it or choose another --out"
        )

    import torch.distributed as dist

    rank, world, local_rank, created = _init_distributed()
    device = pick_device(tcfg.device, local_rank)
    if created:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        _import_group_pinning_modules()
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        result = _train(cls, tcfg, mcfg, ck, run_dir, device, rank, world)
        if created and dist.is_initialized():
            dist.barrier()  # rank 0 may still be evaluating: tear the group down together
        return result
    finally:
        if created and dist.is_initialized():
            dist.destroy_process_group()


def _train(
    cls: type[Method],
    tcfg: TrainConfig,
    mcfg: Any,
    ck: dict | None,
    run_dir: Path,
    device: torch.device,
    rank: int,
    world: int,
) -> RunResult:
    data = load_dataset(tcfg.dataset)
    gen = torch.Generator(device).manual_seed(tcfg.seed * 1_000_003 + 104_729 * rank + 17)
    ctx = Context(device, gen, rank, world, tcfg.precision, tcfg.compile, tcfg.compile_backend)
    # Default weight initialisation draws from the global RNG: seed it inside a fork, so the
    # user's global random state is left as it was.
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        torch.manual_seed(tcfg.seed)
        method = cls(mcfg, data.info, ctx)
    stream = data.batches(tcfg.batch_size, tcfg.seed, rank, world, device)
    total = tcfg.steps or math.ceil(tcfg.epochs * stream.steps_per_epoch / method.batches_per_step)
    step, accum, elapsed = 0, {"n": 0, "sums": {}}, 0.0
    if ck is not None:
        for k, m in method.modules().items():
            m.load_state_dict(ck["modules"][k])
        for k, o in method.optimizers().items():
            o.load_state_dict(ck["optimizers"][k])
        method.load_extra_state(ck.get("extra", {}))
        step, accum, elapsed = int(ck["step"]), ck["accum"], float(ck["elapsed"])
        states = ck["rng"]
        if len(states) == world:
            _set_rng_state(states[rank], ctx, stream)
        else:  # different process count: continue, but not bit-reproducibly
            import warnings

            warnings.warn(
                f"resuming a {len(states)}-process run with {world} processes: the data order and noise are re-seeded",
                stacklevel=2,
            )
            stream.examples = int(states[0]["data"]["examples"])
    main = rank == 0
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "samples").mkdir(exist_ok=True)
        cfg_json = {
            "method": cls.name,
            "train": asdict(tcfg),
            "method_config": asdict(mcfg),
            "data": data.info.to_dict(),
            "world_size": world,
            "device": str(device),
            "torch": torch.__version__,
        }
        (run_dir / "config.json").write_text(json.dumps(cfg_json, indent=2) + "\n")
    ckpt_path = run_dir / CHECKPOINT_NAME

    def checkpoint() -> None:
        rng = _gather(_rng_state(ctx, stream), ctx)
        if main:
            obj = {
                "format": _FORMAT,
                "method": cls.name,
                "step": step,
                "elapsed": elapsed + time.time() - t_start,
                "train_config": asdict(tcfg),
                "method_config": asdict(mcfg),
                "data_info": data.info.to_dict(),
                "modules": {k: m.state_dict() for k, m in method.modules().items()},
                "optimizers": {k: o.state_dict() for k, o in method.optimizers().items()},
                "extra": method.extra_state(),
                "rng": rng,
                "accum": accum,
                "world_size": world,
            }
            save_checkpoint_atomic(obj, ckpt_path)

    def pictures() -> None:
        if not main:
            return
        method.train(False)
        with torch.no_grad():
            figs = method.figures(data, torch.Generator(device).manual_seed(tcfg.seed + 99_991))
        method.train(True)
        for name, img in figs.items():
            img.save(run_dir / "samples" / f"{name}-step{step:07d}.png")

    bar = None
    if main and not tcfg.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=step, desc=f"{cls.name} {tcfg.dataset}", dynamic_ncols=True)
    log = _open_log(run_dir / "metrics.jsonl", step) if main else None
    t_start = time.time()
    t_last, ex_last = time.perf_counter(), stream.examples
    last: dict[str, float] = {}
    method.train(True)
    try:
        with _SignalFlag() as flag:
            while step < total:
                out = method.train_step(stream, step)
                keys = list(out)
                vals = (
                    torch.stack(
                        [torch.as_tensor(out[k], dtype=torch.float64).detach().cpu().reshape(()) for k in keys]
                    ).tolist()
                    if keys
                    else []
                )
                losses = dict(zip(keys, vals))
                bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
                # one collective per step: 2 = some rank saw a non-finite loss, 1 = some rank got a signal
                stop = _any_rank(2 if bad else (1 if flag.signum else 0), ctx)
                if stop == 2:
                    if not bad:
                        bad = {"loss on another rank": float("nan")}
                    kept = (
                        f"the last good checkpoint {ckpt_path} is kept"
                        if ckpt_path.exists()
                        else "no checkpoint had been written yet"
                    )
                    raise NonFiniteLossError(
                        f"non-finite loss at step {step + 1}: "
                        + ", ".join(f"{k} = {v}" for k, v in bad.items())
                        + f"; {kept}",
                        step + 1,
                        losses,
                    )
                step += 1
                accum["n"] += 1
                for k, v in losses.items():
                    accum["sums"][k] = accum["sums"].get(k, 0.0) + v
                if step % tcfg.log_every == 0 or step == total:
                    now = time.perf_counter()
                    means = _mean_over_ranks({k: s / accum["n"] for k, s in accum["sums"].items()}, ctx)
                    rate = (stream.examples - ex_last) * world / max(now - t_last, 1e-9)
                    last = {
                        "step": step,
                        "epoch": stream.examples * world / data.n_train,
                        **means,
                        "time": elapsed + time.time() - t_start,
                        "samples_per_s": rate,
                    }
                    if log is not None:
                        log.write(json.dumps(last) + "\n")
                        log.flush()
                    if bar is not None:
                        bar.set_postfix(
                            {**{k: f"{v:.4g}" for k, v in means.items()}, "samples/s": f"{rate:.3g}"}, refresh=False
                        )
                    accum = {"n": 0, "sums": {}}
                    t_last, ex_last = now, stream.examples
                if bar is not None:
                    bar.update(1)
                if stop == 1 or (flag.signum and not ctx.distributed):
                    checkpoint()
                    raise TrainingInterrupted(
                        f"interrupted by signal {flag.signum or 'on another rank'} at step {step}; checkpoint saved "
                        f"to {ckpt_path}; continue with --resume",
                        step,
                        flag.signum,
                        ckpt_path if main else None,
                    )
                if tcfg.checkpoint_every and step % tcfg.checkpoint_every == 0 and step < total:
                    checkpoint()
                if tcfg.sample_every and step % tcfg.sample_every == 0 and step < total:
                    pictures()
            checkpoint()
            pictures()
    finally:
        if bar is not None:
            bar.close()
        if log is not None:
            log.close()
    evaluation: dict[str, float] = {}
    if main and tcfg.eval_at_end:
        method.train(False)
        with torch.no_grad():
            evaluation = method.evaluate(data, torch.Generator(device).manual_seed(tcfg.seed + 7))
        (run_dir / "eval.json").write_text(json.dumps({"step": step, **evaluation}, indent=2) + "\n")
        if not tcfg.quiet:
            print(json.dumps({"step": step, **evaluation}))
    return RunResult(run_dir, step, last, evaluation, ckpt_path)
