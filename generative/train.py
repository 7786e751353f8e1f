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
  ``checkpoint.pt`` and ``eval.json``, every JSON file strict (no ``NaN``);
* locks the run folder for the run's life (an OS file lock, :mod:`generative._runfolder`): a
  second training or a ``--resume`` into it fails at once naming the holder;
* writes checkpoints atomically (temporary file, ``fsync``, ``os.replace``) with a SHA-256
  checksum (:mod:`generative._checkpoint`), holding modules, optimisers, the method's extra
  state, the step, every random state (torch, CUDA, NumPy, Python, the method's generator, the
  data stream) and the configs, so ``resume=True`` continues exactly: on the CPU with a fixed
  seed a resumed run logs bit-identical losses.  A resume applies every option given
  explicitly or refuses it (the dataset, the seed and the method's options are fixed);
* saves a checkpoint and stops cleanly on SIGINT/SIGTERM (:class:`TrainingInterrupted`);
* stops on a non-finite loss, naming the step, without overwriting the last good checkpoint
  (:class:`NonFiniteLossError`);
* syncs the host with the device once per logging interval: the losses are summed on the
  device and fetched (and, under ``torchrun``, gathered over ranks) in one transfer;
* shows a tqdm progress bar with the live losses and samples/s unless ``quiet``.

Seeds: one user seed (an integer in ``[0, 2**63)``) feeds NumPy's ``SeedSequence``; the
weight initialisation (the same on every rank), each rank's method generator and data stream,
the pictures and the evaluation get independent child seeds (:func:`generative.data.derive_seed`).

The plug-in interface (see ``docs/generative-core-api.md``)::

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
import errno
import importlib
import math
import os
import random
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

import numpy as np
import torch
from torch import nn

from generative._checkpoint import (
    CHECKPOINT_NAME,
    FORMAT,
    load_checkpoint,
    nonfinite_tensors,
    resolve_checkpoint,
    save_checkpoint_atomic,
)
from generative._checks import check_int, check_number, check_seed
from generative._config import ExplicitFields, config_from_dict, config_replace, explicit_fields, field_names
from generative._runfolder import RunFolderError, RunLock, clean_stale_temporaries, dumps, os_error_message, write_json
from generative.data import (
    SEED_EVAL,
    SEED_INIT,
    SEED_METHOD,
    SEED_PICTURES,
    DataInfo,
    DataSet,
    derive_seed,
    load_dataset,
)

__all__ = [
    "CHECKPOINT_NAME",
    "Context",
    "Method",
    "MethodConfig",
    "NonFiniteLossError",
    "Run",
    "RunFolderError",
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


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------


def _f(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig(ExplicitFields):
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
        for name in ("steps", "sample_every", "checkpoint_every"):
            check_int(getattr(self, name), name, minimum=0)
        check_int(self.log_every, "log_every")
        check_int(self.batch_size, "batch_size")
        check_number(self.epochs, "epochs", positive=True)
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")
        check_seed(self.seed)
        for name in ("dataset", "out", "device", "compile_backend"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {getattr(self, name)!r}")


@dataclass
class MethodConfig(ExplicitFields):
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
            out = torch.compile(out, backend=self.compile_backend)  # type: ignore[assignment]
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

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> Mapping[str, float | torch.Tensor]:
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
# Random state
# --------------------------------------------------------------------------------------------


def _rng_state(ctx: Context, stream: Any) -> dict[str, Any]:
    legacy = cast("tuple[str, np.ndarray, int, int, float]", np.random.get_state(legacy=True))
    kind, keys, pos, has_gauss, cached = legacy
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


# --------------------------------------------------------------------------------------------
# Building a method and loading its weights
# --------------------------------------------------------------------------------------------

_STATE_COPIES = 4  # weights, gradients and Adam's two moments


def _device_memory(device: torch.device) -> int | None:
    """Bytes of memory of ``device`` (the machine's RAM for the CPU); None when unknown."""
    try:
        if device.type == "cuda":
            return int(torch.cuda.get_device_properties(device).total_memory)
        if device.type == "cpu":
            return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError, RuntimeError):  # pragma: no cover - platform without sysconf
        pass
    return None


def _size_options(config: Any) -> str:
    items = [
        f"{k}={v!r}"
        for k, v in dataclasses.asdict(config).items()
        if (isinstance(v, int) and not isinstance(v, bool)) or isinstance(v, (tuple, list))
    ]
    return ", ".join(items)


def _check_model_size(cls: type[Method], config: Any, info: DataInfo, device: torch.device) -> None:
    """Refuse a config whose model would not fit in ``device``'s memory, before allocating it.

    The method is built once on PyTorch's ``meta`` device (shapes only, no memory) to count its
    parameters and buffers; a method that cannot be built there is not checked.
    """
    meta = torch.device("meta")
    try:
        with torch.random.fork_rng(devices=[]), meta:
            probe = cls(config, info, Context(meta, torch.Generator()))
        tensors = [t for m in probe.modules().values() for t in (*m.parameters(), *m.buffers())]
        need = _STATE_COPIES * sum(t.numel() * t.element_size() for t in tensors)
    except Exception:
        return
    have = _device_memory(device)
    if have is not None and need > have:
        n = sum(t.numel() for t in tensors)
        raise ValueError(
            f"the {cls.name} model of these options would have {n:.3g} parameters, {need / 1e9:.1f} GB with "
            f"gradients and optimiser state, more than the {have / 1e9:.1f} GB of {device} memory "
            f"({_size_options(config)})"
        )


def _build_method(cls: type[Method], config: Any, info: DataInfo, ctx: Context, seed: int) -> Method:
    """``cls(config, info, ctx)`` after the size check, its default initialisation seeded by ``seed``.

    The default weight initialisation draws from the global RNG: it is seeded inside a fork, so
    the user's global random state is left as it was.
    """
    _check_model_size(cls, config, info, ctx.device)
    with torch.random.fork_rng(devices=[ctx.device.index or 0] if ctx.device.type == "cuda" else []):
        torch.manual_seed(seed)
        return cls(config, info, ctx)


def _state_mismatch(model: dict[str, Any], saved: Any) -> str:
    """What keeps ``saved`` from loading into a module whose state is ``model`` ("" when it fits)."""
    if not isinstance(saved, dict):
        return f"is stored as {type(saved).__name__}, not a state dict"
    missing, unexpected = sorted(set(model) - set(saved)), sorted(set(saved) - set(model))
    if missing or unexpected:
        return f"has tensors {unexpected[:3]} the model lacks and lacks {missing[:3]}"
    for k, v in model.items():
        s = saved[k]
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != tuple(v.shape):
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            return f"tensor {k!r} is {got} in the checkpoint but {tuple(v.shape)} in the model"
    return ""


def _load_weights(method: Method, ck: dict[str, Any], source: Path, changed: dict[str, Any] | None = None) -> None:
    """Load a checkpoint's modules and extra state into ``method``; one-line ValueError on any mismatch."""
    opts = f" with {', '.join(f'{k}={v!r}' for k, v in changed.items())}" if changed else ""
    where = f"the weights in {source} do not fit the {method.name} model built from the run's options{opts}"
    for name, module in method.modules().items():
        if name not in ck["modules"]:
            raise ValueError(f"{where}: the checkpoint has no module {name!r}")
        problem = _state_mismatch(module.state_dict(), ck["modules"][name])
        if problem:
            raise ValueError(f"{where}: module {name!r} {problem}")
        module.load_state_dict(ck["modules"][name])
    try:
        method.load_extra_state(ck["extra"])
    except (RuntimeError, KeyError, TypeError) as exc:
        raise ValueError(f"{where}: its extra state does not load ({str(exc).splitlines()[0]})") from None


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
        check_int(n, "n")
        g = torch.Generator(self.method.ctx.device).manual_seed(check_seed(seed))
        self.method.train(False)
        with torch.no_grad():
            parts = [self.method.sample(min(batch, n - k), g) for k in range(0, n, batch)]
        return self.info.to_data(torch.cat(parts))

    def dataset(self) -> DataSet:
        """The run's dataset, loaded again from its spec."""
        return load_dataset(self.train_config.dataset)


def load_run(checkpoint: str | os.PathLike, device: str = "auto", overrides: dict[str, Any] | None = None) -> Run:
    """Restore the method of a checkpoint file or run folder for sampling and evaluation.

    The checkpoint is verified first (checksum, complete entries, finite weights).

    Parameters
    ----------
    checkpoint : path
        A checkpoint file, or a run folder (its ``checkpoint.pt``).
    device : str
        As :func:`pick_device`.
    overrides : dict, optional
        Method config fields to change (e.g. ``{"iwae_k": 5000}`` for evaluation); a change of
        the architecture is refused by a ValueError naming the options.

    Raises
    ------
    ValueError
        A damaged, edited or incomplete checkpoint, non-finite weights, a model too large for
        the device, or weights that do not fit the model of the (overridden) options.
    """
    path = resolve_checkpoint(checkpoint)
    ck = load_checkpoint(path)
    cls = get_method(ck["method"])
    tcfg = config_from_dict(TrainConfig, ck["train_config"])
    mcfg = config_from_dict(cls.Config, ck["method_config"])
    if overrides:
        mcfg = config_replace(mcfg, overrides)
    dev = pick_device(device)
    ctx = Context(dev, torch.Generator(dev).manual_seed(derive_seed(tcfg.seed, SEED_METHOD, 0)))
    info = DataInfo.from_dict(ck["data_info"])
    method = _build_method(cls, mcfg, info, ctx, derive_seed(tcfg.seed, SEED_INIT))
    _load_weights(method, ck, path, overrides)
    method.train(False)
    return Run(method, info, tcfg, int(ck["step"]), path)


# --------------------------------------------------------------------------------------------
# Run set-up: configs, resume, distributed
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What :func:`train` returns: the run folder, final step, last logged metrics, evaluation."""

    run_dir: Path
    step: int
    metrics: dict[str, float]
    evaluation: dict[str, float]
    checkpoint: Path


#: Options a resume cannot change (besides every method option): why.
_FIXED_ON_RESUME = {"dataset": "the data stream", "seed": "the random states"}


def _check_configs(method: str, config: Any, method_config: Any) -> tuple[type[Method], TrainConfig, Any]:
    cls = get_method(method)
    tcfg = config if config is not None else TrainConfig()
    mcfg = method_config if method_config is not None else cls.Config()
    if not isinstance(tcfg, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(tcfg).__name__}")
    if type(mcfg) is not cls.Config and dataclasses.is_dataclass(mcfg) and issubclass(cls.Config, type(mcfg)):
        given = explicit_fields(mcfg)
        mcfg = config_from_dict(cls.Config, asdict(mcfg))  # type: ignore[arg-type]  # e.g. a VAEConfig for the AE
        object.__setattr__(mcfg, "_explicit", given)
    if not isinstance(mcfg, cls.Config):
        raise ValueError(f"method_config for {method!r} must be a {cls.Config.__name__}, got {type(mcfg).__name__}")
    if not tcfg.out:
        tcfg = config_replace(tcfg, {"out": _default_out(method, tcfg.dataset)})
        object.__setattr__(tcfg, "_explicit", explicit_fields(config) if config is not None else frozenset())
    return cls, tcfg, mcfg


def _changes(given: Any, saved: Any, skip: tuple[str, ...] = ()) -> dict[str, tuple[Any, Any]]:
    """``{field: (saved, given)}`` for the explicitly given fields whose value differs from the saved one."""
    if given is None:
        return {}
    return {
        k: (getattr(saved, k), getattr(given, k))
        for k in sorted(explicit_fields(given))
        if k not in skip and getattr(given, k) != getattr(saved, k)
    }


def _cli(value: Any) -> str:
    """A config value as written on the command line (tuples as space-separated values)."""
    return " ".join(map(str, value)) if isinstance(value, (tuple, list)) else repr(value)


def _resume_configs(
    cls: type[Method], ck: dict[str, Any], config: Any, method_config: Any, run_dir: Path
) -> tuple[TrainConfig, Any]:
    """The saved configs with every explicitly given option applied, or a ValueError naming the
    options a resume cannot change (the dataset, the seed, any method option)."""
    saved_t = config_from_dict(TrainConfig, ck["train_config"])
    saved_m = config_from_dict(cls.Config, ck["method_config"])
    t_changes = _changes(config, saved_t, skip=("out",))
    fixed = {k: v for k, v in t_changes.items() if k in _FIXED_ON_RESUME}
    fixed.update(_changes(method_config, saved_m))
    if fixed:
        listed = ", ".join(
            f"--{k.replace('_', '-')} {_cli(new)} (the run has {_cli(old)})" for k, (old, new) in fixed.items()
        )
        raise ValueError(
            f"cannot resume {run_dir} with {listed}: the dataset, the seed and the {cls.name} options are fixed "
            "by the checkpoint; start a new run with another --out"
        )
    return config_replace(saved_t, {k: new for k, (_, new) in t_changes.items()}), saved_m


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


def _gather(obj: Any, ctx: Context) -> list[Any]:
    if not ctx.distributed:
        return [obj]
    import torch.distributed as dist

    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def _kept(ckpt_path: Path) -> str:
    if ckpt_path.is_file():
        return f"the last good checkpoint {ckpt_path} is kept (continue with --resume)"
    return "no checkpoint had been written yet"


_FOLDER_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EEXIST,
    errno.ENOTDIR,
    errno.EISDIR,
}


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
        Continue the run in ``config.out`` from its checkpoint.  The saved configs are used, with
        every field named when ``config`` was constructed applied (typically ``steps``/``epochs``
        to train longer); a field that cannot change (``dataset``, ``seed``, any field of
        ``method_config`` that differs from the saved one) is refused with a ValueError.

    Returns
    -------
    RunResult

    Raises
    ------
    NonFiniteLossError
        A loss became NaN/inf (the step is named; the last good checkpoint is kept).
    TrainingInterrupted
        SIGINT/SIGTERM arrived; a checkpoint of the last completed step was written first.
    RunFolderError
        The run folder is in use by another training (its holder is named), is a file, or
        cannot be written (full disk, read-only); the last good checkpoint is kept.
    ValueError
        Bad configuration, data, a model too large for the device, or a run folder that already
        holds a run when not resuming.
    """
    cls, tcfg, mcfg = _check_configs(method, config, method_config)
    run_dir = Path(tcfg.out)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"--out {run_dir} is a file, not a folder; choose another --out")
    if resume:
        resolve_checkpoint(run_dir)  # before the lock creates the folder
    rank, world, local_rank, created = _init_distributed()
    try:
        with RunLock(run_dir) if rank == 0 else nullcontext():
            if rank == 0:
                clean_stale_temporaries(run_dir)
            ck = None
            if resume:
                ck = load_checkpoint(run_dir)
                if ck["method"] != method:
                    raise ValueError(f"{run_dir} holds a {ck['method']!r} run, not {method!r}")
                tcfg, mcfg = _resume_configs(cls, ck, config, method_config, run_dir)
            elif (run_dir / CHECKPOINT_NAME).exists():
                raise ValueError(
                    f"run folder {run_dir} already holds a run; pass resume=True (--resume) to "
                    f"continue it or choose another --out"
                )
            return _train_in_group(cls, tcfg, mcfg, ck, run_dir, (rank, world, local_rank, created))
    except OSError as exc:
        if exc.errno not in _FOLDER_ERRNOS:
            raise
        raise RunFolderError(os_error_message(exc, run_dir, _kept(run_dir / CHECKPOINT_NAME))) from None


def _train_in_group(
    cls: type[Method], tcfg: TrainConfig, mcfg: Any, ck: dict | None, run_dir: Path, where: tuple[int, int, int, bool]
) -> RunResult:
    """Join torchrun's process group (when this call creates it), train, and leave it together."""
    import torch.distributed as dist

    rank, world, local_rank, created = where
    device = pick_device(tcfg.device, local_rank)
    if created:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        _import_group_pinning_modules()
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        result = _Trainer(cls, tcfg, mcfg, ck, run_dir, device, rank, world).run()
        if created and dist.is_initialized():
            dist.barrier()  # rank 0 may still be evaluating: tear the group down together
        return result
    finally:
        if created and dist.is_initialized():
            dist.destroy_process_group()


# --------------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------------


@dataclass
class _Fetched:
    """What one host sync brought back: mean losses, the first non-finite step, a signal."""

    means: dict[str, float]
    bad_step: int  # 0: none
    bad: dict[str, float]
    signum: int


class _LossMeter:
    """Loss sums of the current logging interval, kept on the device (no host sync per step).

    :meth:`add` stacks one step's losses into a device tensor and adds it to the sums; on the
    device too, it records the first step whose losses are not all finite, and those losses.
    :meth:`fetch` brings everything to the host in one transfer - under ``torchrun`` in one
    ``all_gather`` of every rank's row, which also tells each rank whether another one caught a
    signal: the one host-device sync of a logging interval.
    """

    def __init__(self, device: torch.device, sums: dict[str, float] | None = None, n: int = 0) -> None:
        self.device, self.dtype = device, torch.float32 if device.type == "mps" else torch.float64
        self.keys: tuple[str, ...] | None = None
        self.n = 0
        self.host_sums: dict[str, float] = dict(sums or {})  # the sums as of the last fetch
        if sums:
            self._start(tuple(sums), [sums[k] for k in sums], n)

    def _start(self, keys: tuple[str, ...], sums: list[float], n: int) -> None:
        self.keys, self.n = keys, n
        self.sums = torch.tensor(sums, dtype=self.dtype, device=self.device)
        self.bad = torch.zeros(len(keys), dtype=self.dtype, device=self.device)
        self.bad_step = torch.zeros((), dtype=self.dtype, device=self.device)

    def add(self, out: Mapping[str, Any], step: int) -> None:
        """Add the losses of (1-based) ``step``, on the device."""
        if self.keys is None:
            self._start(tuple(out), [0.0] * len(out), 0)
        elif tuple(out) != self.keys:
            raise ValueError(f"train_step returned the keys {list(out)} after {list(self.keys)}")
        if self.keys:
            v = torch.stack([torch.as_tensor(out[k]).detach().to(self.device, self.dtype).reshape(()) for k in out])
            fresh = (self.bad_step == 0) & ~torch.isfinite(v).all()
            self.bad_step = torch.where(fresh, float(step), self.bad_step)
            self.bad = torch.where(fresh, v, self.bad)
            self.sums += v
        self.n += 1

    def fetch(self, ctx: Context, signum: int) -> _Fetched:
        """One host sync: means over the interval (and ranks), the first bad step, any rank's signal."""
        k = len(self.keys or ())
        if k == 0:
            return _Fetched({}, 0, {}, signum)  # (a method logging nothing has nothing to sync)
        row = torch.cat([self.sums, self.bad, self.bad_step.reshape(1), self.sums.new_tensor([self.n, signum])])
        if ctx.distributed:
            import torch.distributed as dist

            if dist.get_backend() != "nccl":
                row = row.cpu()
            rows_t = [torch.empty_like(row) for _ in range(ctx.world_size)]
            dist.all_gather(rows_t, row)
            rows = torch.stack(rows_t).tolist()
        else:
            rows = [row.tolist()]
        keys = self.keys or ()
        n_all = sum(r[-2] for r in rows)
        means = {key: sum(r[i] for r in rows) / n_all for i, key in enumerate(keys)}
        bad_rows = [r for r in rows if r[2 * k] > 0]
        first = min(bad_rows, key=lambda r: r[2 * k]) if bad_rows else None
        bad = {key: first[k + i] for i, key in enumerate(keys) if not math.isfinite(first[k + i])} if first else {}
        self.host_sums = {key: rows[ctx.rank][i] for i, key in enumerate(keys)}
        return _Fetched(means, int(first[2 * k]) if first else 0, bad, int(max(r[-1] for r in rows)))

    def reset(self) -> None:
        """Start a new logging interval."""
        if self.keys is not None:
            self._start(self.keys, [0.0] * len(self.keys), 0)
        self.host_sums = {}

    def state(self) -> dict[str, Any]:
        """The interval's count and (last fetched) sums, for a checkpoint."""
        return {"n": self.n, "sums": dict(self.host_sums)}


def _open_log(path: Path, step: int):
    """Open ``metrics.jsonl`` for appending, first dropping lines logged after ``step`` (the
    checkpoint being resumed: a crash may have logged steps the resumed run will log again);
    a fresh run (``step == 0``) starts an empty log."""
    import json

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


class _Trainer:
    """One run on this process, read top to bottom: ``__init__`` sets everything up (data, the
    method, the stream, a resumed state), :meth:`run` steps to the end, :meth:`finish_run` ends it."""

    def __init__(
        self,
        cls: type[Method],
        tcfg: TrainConfig,
        mcfg: Any,
        ck: dict | None,
        run_dir: Path,
        device: torch.device,
        rank: int,
        world: int,
    ) -> None:
        self.tcfg, self.mcfg, self.run_dir, self.main = tcfg, mcfg, run_dir, rank == 0
        self.ckpt_path = run_dir / CHECKPOINT_NAME
        self.data = load_dataset(tcfg.dataset)
        gen = torch.Generator(device).manual_seed(derive_seed(tcfg.seed, SEED_METHOD, rank))
        self.ctx = Context(device, gen, rank, world, tcfg.precision, tcfg.compile, tcfg.compile_backend)
        self.method = _build_method(cls, mcfg, self.data.info, self.ctx, derive_seed(tcfg.seed, SEED_INIT))
        self.stream = self.data.batches(tcfg.batch_size, tcfg.seed, rank, world, device)
        self.total = tcfg.steps or math.ceil(tcfg.epochs * self.stream.steps_per_epoch / self.method.batches_per_step)
        self.step, self.elapsed, self.meter = 0, 0.0, _LossMeter(device)
        if ck is not None:
            self._restore(ck)
        self.saved_step = self.step if ck is not None else None
        self.last: dict[str, float] = {}
        self.t_start = time.time()

    def _restore(self, ck: dict[str, Any]) -> None:
        _load_weights(self.method, ck, self.ckpt_path)
        for k, o in self.method.optimizers().items():
            o.load_state_dict(ck["optimizers"][k])
        self.step, self.elapsed = int(ck["step"]), float(ck["elapsed"])
        self.meter = _LossMeter(self.ctx.device, ck["accum"].get("sums"), int(ck["accum"].get("n", 0)))
        states = ck["rng"]
        if len(states) == self.ctx.world_size:
            _set_rng_state(states[self.ctx.rank], self.ctx, self.stream)
        else:  # different process count: continue, but not bit-reproducibly
            import warnings

            warnings.warn(
                f"resuming a {len(states)}-process run with {self.ctx.world_size} processes: "
                "the data order and noise are re-seeded",
                stacklevel=4,
            )
            self.stream.examples = int(states[0]["data"]["examples"])

    def _write_config(self) -> None:
        (self.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        config = {
            "method": self.method.name,
            "train": asdict(self.tcfg),
            "method_config": asdict(self.mcfg),
            "data": self.data.info.to_dict(),
            "world_size": self.ctx.world_size,
            "device": str(self.ctx.device),
            "torch": torch.__version__,
        }
        write_json(self.run_dir / "config.json", config)

    def checkpoint(self) -> None:
        """Save everything needed to resume (rank 0 writes; every rank contributes its random state)."""
        rng = _gather(_rng_state(self.ctx, self.stream), self.ctx)
        if not self.main:
            return
        modules = {k: m.state_dict() for k, m in self.method.modules().items()}
        extra = self.method.extra_state()
        bad = nonfinite_tensors(modules) + nonfinite_tensors(extra, "extra.")
        if bad:
            raise NonFiniteLossError(
                f"non-finite weights after step {self.step} in {', '.join(bad[:3])}; {_kept(self.ckpt_path)}",
                self.step,
                {},
            )
        obj = {
            "format": FORMAT,
            "method": self.method.name,
            "step": self.step,
            "elapsed": self.elapsed + time.time() - self.t_start,
            "train_config": asdict(self.tcfg),
            "method_config": asdict(self.mcfg),
            "data_info": self.data.info.to_dict(),
            "modules": modules,
            "optimizers": {k: o.state_dict() for k, o in self.method.optimizers().items()},
            "extra": extra,
            "rng": rng,
            "accum": self.meter.state(),
            "world_size": self.ctx.world_size,
        }
        save_checkpoint_atomic(obj, self.ckpt_path)
        self.saved_step = self.step

    def pictures(self) -> None:
        """Save the method's figures of this step in ``samples/`` (rank 0)."""
        if not self.main:
            return
        self.method.train(False)
        with torch.no_grad():
            g = torch.Generator(self.ctx.device).manual_seed(derive_seed(self.tcfg.seed, SEED_PICTURES))
            figs = self.method.figures(self.data, g)
        self.method.train(True)
        for name, img in figs.items():
            img.save(self.run_dir / "samples" / f"{name}-step{self.step:07d}.png")

    def run(self) -> RunResult:
        """Train to ``total`` steps, then checkpoint, draw and :meth:`finish_run`."""
        if self.main:
            self._write_config()
        bar = None
        if self.main and not self.tcfg.quiet:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.total, initial=self.step, desc=f"{self.method.name} {self.tcfg.dataset}")
        log = _open_log(self.run_dir / "metrics.jsonl", self.step) if self.main else None
        self.method.train(True)
        try:
            with _SignalFlag() as flag:
                self.t_last, self.ex_last = time.perf_counter(), self.stream.examples
                while self.step < self.total:
                    self._one_step(flag, log, bar)
                self.checkpoint()
                self.pictures()
        finally:
            if bar is not None:
                bar.close()
            if log is not None:
                log.close()
        return self.finish_run()

    def _one_step(self, flag: _SignalFlag, log: Any, bar: Any) -> None:
        """One training step; at the interval's end the one host sync, then log/checkpoint/draw/stop."""
        out = self.method.train_step(self.stream, self.step)
        self.step += 1
        self.meter.add(out, self.step)
        if bar is not None:
            bar.update(1)
        t, step = self.tcfg, self.step
        log_now = step % t.log_every == 0 or step == self.total
        ckpt_now = bool(t.checkpoint_every) and step % t.checkpoint_every == 0 and step < self.total
        pics_now = bool(t.sample_every) and step % t.sample_every == 0 and step < self.total
        stop_now = bool(flag.signum) and not self.ctx.distributed  # under torchrun: at the next sync
        if not (log_now or ckpt_now or pics_now or stop_now):
            return
        got = self.meter.fetch(self.ctx, flag.signum)
        if got.bad_step:
            bad = got.bad or {"loss on another rank": float("nan")}
            raise NonFiniteLossError(
                f"non-finite loss at step {got.bad_step}: "
                + ", ".join(f"{k} = {v}" for k, v in bad.items())
                + f"; {_kept(self.ckpt_path)}",
                got.bad_step,
                got.means,
            )
        if log_now:
            self._log(got.means, log, bar)
        if got.signum:
            self.checkpoint()
            who = flag.signum or f"{got.signum} on another rank"
            raise TrainingInterrupted(
                f"interrupted by signal {who} at step {step}; checkpoint saved to {self.ckpt_path}; "
                "continue with --resume",
                step,
                flag.signum or got.signum,
                self.ckpt_path if self.main else None,
            )
        if ckpt_now:
            self.checkpoint()
        if pics_now:
            self.pictures()

    def _log(self, means: dict[str, float], log: Any, bar: Any) -> None:
        now, world = time.perf_counter(), self.ctx.world_size
        rate = (self.stream.examples - self.ex_last) * world / max(now - self.t_last, 1e-9)
        self.last = {
            "step": self.step,
            "epoch": self.stream.examples * world / self.data.n_train,
            **means,
            "time": self.elapsed + time.time() - self.t_start,
            "samples_per_s": rate,
        }
        if log is not None:
            log.write(dumps(self.last) + "\n")
            log.flush()
        if bar is not None:
            bar.set_postfix({**{k: f"{v:.4g}" for k, v in means.items()}, "samples/s": f"{rate:.3g}"}, refresh=False)
        self.meter.reset()
        self.t_last, self.ex_last = now, self.stream.examples

    def finish_run(self) -> RunResult:
        """The end of a run (after the last checkpoint): evaluate on the test set, write ``eval.json``."""
        evaluation: dict[str, float] = {}
        if self.main and self.tcfg.eval_at_end:
            self.method.train(False)
            with torch.no_grad():
                g = torch.Generator(self.ctx.device).manual_seed(derive_seed(self.tcfg.seed, SEED_EVAL))
                evaluation = self.method.evaluate(self.data, g)
            write_json(self.run_dir / "eval.json", {"step": self.step, **evaluation})
            if not self.tcfg.quiet:
                print(dumps({"step": self.step, **evaluation}))
        return RunResult(self.run_dir, self.step, self.last, evaluation, self.ckpt_path)
