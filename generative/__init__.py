"""Generative models of the lecture: VAEs (Kingma & Welling 2014) and GANs (Goodfellow et al. 2014).

``generative`` is a small trainer a user points at data.  The pieces:

* :mod:`generative.data` - offline datasets (scikit-learn's ``digits``, the 2-D mixtures
  ``ring8``/``grid25``/``moons``) and the user's own ``.npy``/``.npz`` arrays, MNIST IDX files
  and image folders, validated once;
* :mod:`generative.train` - the training core shared by every method: device choice, config
  dataclasses, locked run folders, atomic verified checkpoints with exact resume, DDP under
  ``torchrun``;
* :mod:`generative.vae` - the VAE (ELBO, IWAE bound) and the plain autoencoder baseline;
* :mod:`generative.plots` - sample grids and 2-D scatter plots as PNG (Pillow);
* ``python -m generative`` - the command line: ``train``, ``sample``, ``eval``.

torch is an optional dependency: install it with ``pip install lecturegrid[generative]``.
"""

from __future__ import annotations

try:  # pragma: no cover - exercised only where torch is missing
    import torch as _torch  # noqa: F401
except ImportError as exc:  # pragma: no cover
    raise ImportError(
        "the 'generative' package needs PyTorch, scikit-learn, Pillow and tqdm; "
        "install them with:  pip install lecturegrid[generative]"
    ) from exc

from generative.data import (
    GRID25_STD,
    RING8_STD,
    DataError,
    DataInfo,
    DataSet,
    grid_centers,
    load_dataset,
    ring_centers,
)
from generative.train import (
    Context,
    Method,
    MethodConfig,
    NonFiniteLossError,
    Run,
    RunFolderError,
    RunResult,
    TrainConfig,
    TrainingInterrupted,
    available_methods,
    get_method,
    load_run,
    register_method,
    train,
)

__all__ = [
    "GRID25_STD",
    "RING8_STD",
    "Context",
    "DataError",
    "DataInfo",
    "DataSet",
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
    "grid_centers",
    "load_dataset",
    "load_run",
    "register_method",
    "ring_centers",
    "train",
]
