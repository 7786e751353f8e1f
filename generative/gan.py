"""Generative adversarial networks (Goodfellow et al. 2014): networks, losses, stabilisers.

The game
--------
A generator ``G`` maps noise ``z ~ p_z`` (standard normal, ``latent_dim`` dimensions) to data
space; a discriminator ``D`` outputs a logit ``l(x)`` with ``D(x) = sigmoid(l(x))``, the
probability that ``x`` came from the data. The value function

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_z[log(1 - D(G(z)))]

is maximised by ``D`` and minimised by ``G``; for the optimal ``D`` it equals
``-log 4 + 2 JSD(p_data || p_g)`` (:mod:`generative.theory`).

Algorithm 1 of the paper alternates ``k`` discriminator steps (``d_steps``), each on a fresh
minibatch of ``m`` real examples and ``m`` noise samples, ascending ``V`` in ``D``, with one
generator step descending it. All losses are computed from logits with ``softplus`` (``-log
sigmoid(l) = softplus(-l)``, ``-log(1 - sigmoid(l)) = softplus(l)``), which is BCE-with-logits
and never takes the log of a saturated sigmoid:

* discriminator: ``L_D = E[softplus(-l(x))] + E[softplus(l(G(z)))]`` (``= -V``);
* generator, ``"minimax"`` (the paper's game): ``L_G = E[log(1 - D(G(z)))] = -E[softplus(l)]``;
* generator, ``"non-saturating"`` (the paper's advice in practice, the default):
  ``L_G = -E[log D(G(z))] = E[softplus(-l)]``: same fixed point, strong gradients early on,
  when ``D`` rejects the samples confidently and ``log(1 - D)`` saturates.

Stabilisers (each a flag; the paper has none)
---------------------------------------------
* R1 penalty (Mescheder et al. 2018): ``gamma / 2 * E_{x ~ p_data} ||grad_x l(x)||^2`` added to
  ``L_D``: the discriminator is flat on the data, which makes the game converge locally.
  Lazy R1 (Karras et al. 2020, ``r1_every = N``): the term only on every ``N``-th
  discriminator update, weighted ``N`` times (the same penalty on average, at a fraction of the
  double-backward cost).
* Spectral normalisation (Miyato et al. 2018) of every discriminator weight.
* An exponential moving average of the generator's weights (``ema``), used for sampling
  (Yazici et al. 2019): averaging the iterates cancels the generator's rotation around the
  equilibrium and sharpens the modes.
* Unrolling (Metz et al. 2017, ``unroll = K``): the generator descends ``f(G, D_K)``, where
  ``D_K`` is the discriminator after ``K`` more updates of its own optimiser (Adam or SGD with
  momentum, replayed differentiably from its current state) on the last real minibatch and
  the same samples ``G(z)`` the generator is scored on; the gradient flows through the ``K`` updates (the second-order term that lets
  the generator anticipate the discriminator's answer). ``D`` itself is still updated only by
  the ``d_steps`` real updates; the unrolled updates use the plain ``-V`` (no R1 term).

Training
--------
:class:`GAN` is the ``"gan"`` method of the training core (``python -m generative train gan``);
its :class:`GANConfig` defaults (MLPs 128-128-128, latent 16, Adam 1e-3 with betas (0, 0.99),
both rates halving every 6,000 steps, R1 gamma 1, EMA 0.99) with the CLI's budgets
(:attr:`GAN.budgets`, minibatch 250) cover 8/8 modes of ``ring8`` in 5 of 5 seeds with a median
of 96.4% high-quality samples in 18,000 steps, and, with grid25's own options (half-life 9,000,
lazy R1 every 16th update), 25/25 of ``grid25`` in 5 of 5 seeds with a median of 94.2% in
28,000 (``benchmarks/generative_gan``).

>>> l = torch.zeros(3)            # D(G(z)) = 1/2
>>> round(generator_loss(l, "non-saturating").item(), 6), round(generator_loss(l, "minimax").item(), 6)
(0.693147, -0.693147)
>>> round(discriminator_loss(l, l).item(), 6)   # -V = log 4 at D = 1/2
1.386294
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generative.data import DataInfo, DataSet
from generative.train import Context, Method, MethodConfig, register_method

__all__ = [
    "COVERAGE_WARN_HQ",
    "GAN",
    "GENERATOR_LOSSES",
    "ConvDiscriminator",
    "ConvGenerator",
    "GANConfig",
    "MLPDiscriminator",
    "MLPGenerator",
    "coverage_warning",
    "discriminator_loss",
    "ema_update",
    "evaluate_samples",
    "generator_loss",
    "r1_penalty",
    "unrolled_parameters",
]

#: Generator losses: the paper's game and the paper's practical advice.
GENERATOR_LOSSES = ("non-saturating", "minimax")


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------
def _maybe_sn(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


class MLPGenerator(nn.Module):
    """Noise ``(N, latent_dim)`` -> samples ``(N, *data_shape)`` through an MLP.

    Parameters
    ----------
    latent_dim : int
        Noise dimension.
    data_shape : tuple of int
        Shape of one sample, e.g. ``(2,)`` or ``(1, 8, 8)``.
    hidden : sequence of int
        Hidden widths (ReLU).
    output : {"linear", "sigmoid"}
        Output activation: ``"sigmoid"`` for images in [0, 1], ``"linear"`` for real data.
    """

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (256, 256, 256),
        output: str = "linear",
    ) -> None:
        super().__init__()
        _check_output(output)
        self.data_shape = tuple(int(s) for s in data_shape)
        width = [int(latent_dim), *map(int, hidden)]
        layers: list[nn.Module] = []
        for a, b in zip(width[:-1], width[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(width[-1], math.prod(self.data_shape)))
        self.net = nn.Sequential(*layers)
        self.output = output

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(z)
        if self.output == "sigmoid":
            x = torch.sigmoid(x)
        return x.view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """Samples ``(N, *data_shape)`` -> logits ``(N,)`` through an MLP (LeakyReLU 0.2).

    Parameters
    ----------
    data_shape : tuple of int
    hidden : sequence of int
    spectral_norm : bool
        Spectrally normalise every linear layer.
    """

    def __init__(
        self, data_shape: Sequence[int], hidden: Sequence[int] = (256, 256, 256), spectral_norm: bool = False
    ) -> None:
        super().__init__()
        width = [math.prod(int(s) for s in data_shape), *map(int, hidden)]
        layers: list[nn.Module] = []
        for a, b in zip(width[:-1], width[1:]):
            layers += [_maybe_sn(nn.Linear(a, b), spectral_norm), nn.LeakyReLU(0.2)]
        layers.append(_maybe_sn(nn.Linear(width[-1], 1), spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(x.shape[0], -1)).squeeze(1)


class ConvGenerator(nn.Module):
    """DCGAN-style generator for images of shape ``(H, W)`` or ``(H, W, C)``, ``H, W`` divisible by 4.

    ``z -> Linear -> (4c, H/4, W/4) -> ConvT(stride 2) -> (2c, H/2, W/2) -> ConvT -> (C, H, W)``,
    batch norm and ReLU between (Radford et al. 2016), sigmoid output (images in [0, 1]),
    returned in the data's own layout.
    """

    def __init__(self, latent_dim: int, data_shape: Sequence[int], channels: int = 64) -> None:
        super().__init__()
        self.data_shape = tuple(int(s) for s in data_shape)
        h, w, c_out = _image_hwc(self.data_shape)
        self.h0, self.w0, self.c0 = h // 4, w // 4, 4 * channels
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, self.c0 * self.h0 * self.w0), nn.BatchNorm1d(self.c0 * self.h0 * self.w0), nn.ReLU()
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(self.c0, 2 * channels, 4, stride=2, padding=1),
            nn.BatchNorm2d(2 * channels),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, c_out, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        y = self.net(self.fc(z).view(z.shape[0], self.c0, self.h0, self.w0))
        return y.permute(0, 2, 3, 1).reshape(z.shape[0], *self.data_shape)


class ConvDiscriminator(nn.Module):
    """DCGAN-style discriminator: two stride-2 convolutions (LeakyReLU 0.2), then a linear logit.

    Takes images ``(N, H, W)`` or ``(N, H, W, C)`` (the data's layout), ``H, W`` divisible by 4.
    """

    def __init__(self, data_shape: Sequence[int], channels: int = 64, spectral_norm: bool = False) -> None:
        super().__init__()
        self.hwc = _image_hwc(data_shape)
        h, w, c_in = self.hwc
        self.net = nn.Sequential(
            _maybe_sn(nn.Conv2d(c_in, channels, 4, stride=2, padding=1), spectral_norm),
            nn.LeakyReLU(0.2),
            _maybe_sn(nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), spectral_norm),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            _maybe_sn(nn.Linear(2 * channels * (h // 4) * (w // 4), 1), spectral_norm),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w, c = self.hwc
        return self.net(x.reshape(x.shape[0], h, w, c).permute(0, 3, 1, 2)).squeeze(1)


# --------------------------------------------------------------------------------------------
# Losses and stabilisers
# --------------------------------------------------------------------------------------------
def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``-V = E[softplus(-l(x))] + E[softplus(l(G(z)))]`` (BCE with logits, real = 1, fake = 0)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """Generator loss from the discriminator's logits on generated samples.

    ``"minimax"``: ``E[log(1 - D(G(z)))] = -E[softplus(l)]``; ``"non-saturating"``:
    ``-E[log D(G(z))] = E[softplus(-l)]``.
    """
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    raise ValueError(f"generator loss must be one of {GENERATOR_LOSSES}, got {kind!r}")


def r1_penalty(discriminator: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """``E ||grad_x l(x)||^2`` over real samples (multiply by ``gamma / 2``), differentiable in D."""
    x = real.detach().requires_grad_(True)
    logits = discriminator(x)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    return grad.pow(2).reshape(grad.shape[0], -1).sum(1).mean()


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * model`` for parameters; buffers are copied."""
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.lerp_(p, 1.0 - decay)
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)


def unrolled_parameters(
    discriminator: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: Any, steps: int
) -> dict[str, torch.Tensor]:
    """The discriminator's parameters after ``steps`` differentiable updates of ``optimizer``.

    ``loss_fn(params)`` returns the discriminator's loss for a parameter dictionary (evaluate the
    network with :func:`torch.func.functional_call`). Each update replays ``optimizer``'s rule
    from its current state without touching it: Adam (bias-corrected moments, its ``lr``,
    ``betas``, ``eps``; a fresh optimiser starts from zero moments) or SGD with momentum (PyTorch's
    rule: the first step's buffer is the gradient). The graph is kept (``create_graph``), so the
    result is differentiable in whatever ``loss_fn`` depends on, e.g. the generator's samples
    (Metz et al. 2017). The optimiser must hold all of ``discriminator``'s parameters in one
    group.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if len(optimizer.param_groups) != 1:
        raise ValueError(f"the optimiser must have one parameter group, got {len(optimizer.param_groups)}")
    group = optimizer.param_groups[0]
    names = [n for n, _ in discriminator.named_parameters()]
    params: dict[str, torch.Tensor] = dict(discriminator.named_parameters())
    held = {id(p) for p in group["params"]}
    missing = [n for n in names if id(params[n]) not in held]
    if missing:
        raise ValueError(f"the optimiser does not hold the discriminator's parameters {missing}")
    state = [optimizer.state.get(params[n], {}) for n in names]
    adam = type(optimizer) is torch.optim.Adam
    if not adam and type(optimizer) is not torch.optim.SGD:
        raise ValueError(f"unrolling replays Adam or SGD, got {type(optimizer).__name__}")
    unsupported = {
        k: group.get(k) for k in ("weight_decay", "amsgrad", "maximize", "nesterov", "dampening") if group.get(k)
    }
    if unsupported:
        raise ValueError(f"unrolling replays plain Adam/SGD; unsupported optimiser options {unsupported}")
    lr = float(group["lr"])
    if adam:
        beta1, beta2 = group["betas"]
        eps = float(group["eps"])
        m = [st["exp_avg"] if "exp_avg" in st else torch.zeros_like(params[n]) for n, st in zip(names, state)]
        v = [st["exp_avg_sq"] if "exp_avg_sq" in st else torch.zeros_like(params[n]) for n, st in zip(names, state)]
        t = [float(st["step"]) if "step" in st else 0.0 for st in state]
    else:
        mu = float(group["momentum"])
        buf = [st.get("momentum_buffer") for st in state]
    current = params
    for _ in range(steps):
        grads = torch.autograd.grad(loss_fn(current), [current[n] for n in names], create_graph=True)
        new = {}
        for i, (n, g) in enumerate(zip(names, grads)):
            if adam:
                t[i] += 1.0
                m[i] = beta1 * m[i] + (1.0 - beta1) * g
                v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
                v_hat = (v[i] / (1.0 - beta2 ** t[i])).clamp_min(1e-30)  # sqrt'(0) would be inf
                new[n] = current[n] - lr * (m[i] / (1.0 - beta1 ** t[i])) / (v_hat.sqrt() + eps)
            else:
                buf[i] = g if (buf[i] is None or mu == 0.0) else mu * buf[i] + g
                new[n] = current[n] - lr * buf[i]
        current = new
    return current


def _check_output(output: str) -> None:
    if output not in ("linear", "sigmoid"):
        raise ValueError(f"output must be 'linear' or 'sigmoid', got {output!r}")


def _image_hwc(shape: Sequence[int]) -> tuple[int, int, int]:
    s = tuple(int(v) for v in shape)
    if len(s) not in (2, 3) or s[0] % 4 or s[1] % 4 or min(s) < 1:
        raise ValueError(f"the conv networks need images (H, W) or (H, W, C) with H, W divisible by 4, got {s}")
    return (s[0], s[1], 1) if len(s) == 2 else (s[0], s[1], s[2])


# --------------------------------------------------------------------------------------------
# The method: Algorithm 1 on the training core
# --------------------------------------------------------------------------------------------
def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class GANConfig(MethodConfig):
    """Options of ``python -m generative train gan`` (the defaults are tuned, see the notes).

    The paper's kind of setting is ``--optimizer sgd --momentum 0.5 --r1 0 --ema 0`` (Goodfellow
    et al. 2014 trained with SGD and momentum and no stabilisers), with a learning rate chosen
    for the data.
    """

    latent_dim: int = _f(16, "noise dimension")
    noise: Literal["normal", "uniform"] = _f("normal", "noise prior p_z: standard normal or uniform on [-1, 1]")
    arch: Literal["mlp", "conv"] = _f("mlp", "mlp, or conv (DCGAN-style, images with sides divisible by 4)")
    hidden: tuple[int, ...] = _f((128, 128, 128), "hidden widths of both MLPs (conv: base channels = first value)")
    d_steps: int = _f(1, "discriminator steps k per generator step (Algorithm 1), each on a fresh minibatch")
    loss: Literal["non-saturating", "minimax"] = _f(
        "non-saturating", "generator loss: -log D(G(z)) (non-saturating) or log(1 - D(G(z))) (minimax)"
    )
    optimizer: Literal["adam", "sgd"] = _f("adam", "adam, or sgd with momentum as in the paper")
    lr: float = _f(1e-3, "learning rate of the generator (and of the discriminator unless lr_d is given)")
    lr_d: float | None = _f(None, "learning rate of the discriminator (two time-scale updates); None = lr")
    beta1: float = _f(0.0, "Adam beta1")
    beta2: float = _f(0.99, "Adam beta2")
    momentum: float = _f(0.5, "SGD momentum")
    lr_half_life: int = _f(
        6000, "steps over which both learning rates halve (lr * 0.5^(step / half-life), resumable); 0 = constant"
    )
    r1: float = _f(1.0, "R1 penalty weight gamma (gamma / 2 * E||grad D(x)||^2 on real data); 0 = off")
    r1_every: int = _f(
        1,
        "lazy R1 (Karras et al. 2020): the penalty on every N-th discriminator update only, weighted N times; 1 = every",
    )
    spectral_norm: bool = _f(False, "spectral normalisation of the discriminator's layers")
    ema: float = _f(0.99, "decay of the generator's exponential moving average used for sampling; 0 = off")
    unroll: int = _f(
        0, "unrolled discriminator updates K the generator looks ahead through (Metz et al. 2017); 0 = off"
    )

    def __post_init__(self) -> None:
        for name in ("latent_dim", "d_steps", "r1_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("unroll", "lr_half_life"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        h = tuple(self.hidden)
        if not h or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in h):
            raise ValueError(f"hidden must be one or more positive integers, got {self.hidden!r}")
        self.hidden = h
        for name, choices in (
            ("noise", ("normal", "uniform")),
            ("arch", ("mlp", "conv")),
            ("loss", GENERATOR_LOSSES),
            ("optimizer", ("adam", "sgd")),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name in ("lr", "lr_d"):
            v = getattr(self, name)
            if name == "lr_d" and v is None:
                continue
            if isinstance(v, bool) or not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        for name in ("beta1", "beta2", "momentum", "ema"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {v!r}")
        if not (isinstance(self.r1, (int, float)) and self.r1 >= 0 and math.isfinite(self.r1)):
            raise ValueError(f"r1 must be a non-negative number, got {self.r1!r}")


@register_method("gan")
class GAN(Method):
    """Goodfellow et al.'s Algorithm 1: ``d_steps`` discriminator updates, then one generator update.

    Every discriminator update pulls a fresh minibatch of ``m = --batch-size`` real examples and
    draws ``m`` noise vectors; the generator update draws ``m`` more. One core "step" is one
    generator update (``batches_per_step = d_steps``). Logged per step: ``loss_d`` (``-V`` plus
    the R1 term), ``loss_g``, ``d_real`` and ``d_fake`` (mean ``D(x)`` and ``D(G(z))`` over the
    last discriminator update), ``r1`` (``E||grad D(x)||^2`` when the penalty is on); the core
    adds ``samples_per_s``. :attr:`d_updates` and :attr:`g_updates` count the updates (and are
    checkpointed).

    Under ``torchrun`` the networks are not DDP-wrapped: R1's double backward is outside what
    DDP expresses, so gradients are averaged over ranks by hand (:meth:`Context.all_reduce_grads`)
    before every optimiser step; every rank starts from the same seeded weights, so they stay
    in sync.
    """

    Config = GANConfig
    #: Default budgets of ``python -m generative train gan`` (neither --steps nor --epochs given):
    #: dataset -> {"steps": n, "batch_size": m, "options": method options tuned for the dataset (applied
    #: by the CLI unless given, :func:`generative.__main__.default_options`), "cpu_s": measured CPU
    #: seconds of the whole run, "gives": quality}.
    budgets: ClassVar[dict[str, dict[str, Any]]] = {
        "ring8": {
            "steps": 18_000,
            "batch_size": 250,
            "cpu_s": 174,
            "gives": "8/8 modes, 96.4% high quality (median of 5 seeds)",
        },
        "grid25": {
            "steps": 28_000,
            "batch_size": 250,
            "options": {"lr_half_life": 9000, "r1_every": 16},
            "cpu_s": 261,
            "gives": "25/25 modes, 94.2% high quality (median of 5 seeds)",
        },
    }

    def __init__(self, config: GANConfig, info: DataInfo, ctx: Context) -> None:
        super().__init__(config, info, ctx)
        shape = tuple(info.shape)
        if config.arch == "conv":
            if not info.image:
                raise ValueError(f"arch='conv' needs image data; dataset {info.name!r} has shape {shape}")
            self.G: nn.Module = ConvGenerator(config.latent_dim, shape, config.hidden[0])
            self.D: nn.Module = ConvDiscriminator(shape, config.hidden[0], config.spectral_norm)
        else:
            out = "sigmoid" if info.bounded else "linear"
            self.G = MLPGenerator(config.latent_dim, shape, config.hidden, out)
            self.D = MLPDiscriminator(shape, config.hidden, config.spectral_norm)
        self.G.to(ctx.device)
        self.D.to(ctx.device)
        self.G_ema: nn.Module | None = None
        if config.ema > 0:
            self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
        if ctx.compile:
            self.G_run: nn.Module = cast(nn.Module, torch.compile(self.G, backend=ctx.compile_backend))
            self.D_run: nn.Module = cast(nn.Module, torch.compile(self.D, backend=ctx.compile_backend))
        else:
            self.G_run, self.D_run = self.G, self.D
        self.opt_g = self._optimizer(self.G, config.lr)
        self.opt_d = self._optimizer(self.D, config.lr if config.lr_d is None else config.lr_d)
        self.d_updates = 0
        self.g_updates = 0
        self._last_r1 = torch.zeros((), device=ctx.device)

    def _optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "sgd":
            return torch.optim.SGD(module.parameters(), lr=lr, momentum=c.momentum)
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(c.beta1, c.beta2))

    # -- the core's interface ----------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        mods = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            mods["G_ema"] = self.G_ema
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    @property
    def batches_per_step(self) -> int:
        return self.config.d_steps

    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws of the noise prior, ``(n, latent_dim)`` on the model's device."""
        shape = (n, self.config.latent_dim)
        if self.config.noise == "uniform":
            return torch.rand(shape, generator=generator, device=self.ctx.device) * 2.0 - 1.0
        return torch.randn(shape, generator=generator, device=self.ctx.device)

    def learning_rates(self, step: int) -> tuple[float, float]:
        """The generator's and discriminator's learning rates at ``step`` (steps done), after the half-life decay."""
        c = self.config
        factor = 0.5 ** (step / c.lr_half_life) if c.lr_half_life else 1.0
        return c.lr * factor, (c.lr if c.lr_d is None else c.lr_d) * factor

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> dict[str, float | torch.Tensor]:
        c, ctx = self.config, self.ctx
        r1_value = None
        if c.lr_half_life:
            for opt, lr in zip((self.opt_g, self.opt_d), self.learning_rates(step)):
                for group in opt.param_groups:
                    group["lr"] = lr
        for _ in range(c.d_steps):
            x = next(batches)
            z = self.noise(len(x), ctx.generator)
            with torch.no_grad(), ctx.autocast():
                fake = self.G_run(z)
            with ctx.autocast():
                real_logits = self.D_run(x).float()
                fake_logits = self.D_run(fake).float()
            loss_d = discriminator_loss(real_logits, fake_logits)
            total = loss_d
            if c.r1 > 0 and self.d_updates % c.r1_every == 0:
                # uncompiled: R1 differentiates a gradient, and compiled (AOT autograd)
                # graphs do not support double backward
                r1_value = self._last_r1 = r1_penalty(self.D, x)
                total = total + 0.5 * c.r1 * c.r1_every * r1_value
            self.opt_d.zero_grad(set_to_none=True)
            total.backward()
            ctx.all_reduce_grads(self.D)
            self.opt_d.step()
            self.d_updates += 1
        z = self.noise(len(x), ctx.generator)
        if c.unroll > 0:
            gen_logits = self._unrolled_logits(x, z)
        else:
            with ctx.autocast():
                gen_logits = self.D_run(self.G_run(z)).float()
        loss_g = generator_loss(gen_logits, c.loss)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        ctx.all_reduce_grads(self.G)
        self.opt_g.step()
        self.g_updates += 1
        if self.G_ema is not None:
            ema_update(self.G_ema, self.G, c.ema)
        out: dict[str, float | torch.Tensor] = {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": torch.sigmoid(real_logits.detach()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
        }
        if c.r1 > 0:  # the last penalty computed (lazy R1 skips updates; the logged keys stay the same)
            out["r1"] = (self._last_r1 if r1_value is None else r1_value).detach()
        return out

    def _unrolled_logits(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits of ``D_K`` (the discriminator ``unroll`` updates ahead) on ``G(z)``, differentiable in G.

        The look-ahead updates use the last real minibatch ``x`` and the samples ``G(z)`` with
        their graph, so ``D_K`` depends on the generator as in Metz et al. (2017). The network is
        evaluated in eval mode (spectral normalisation's power iteration is not advanced by
        hypothetical updates) and uncompiled (``functional_call`` swaps its parameters).
        """
        from torch.func import functional_call

        ctx = self.ctx
        D = self.D
        was = D.training
        D.eval()
        try:
            with ctx.autocast():
                fake = self.G_run(z)

            def loss_fn(params: dict[str, torch.Tensor]) -> torch.Tensor:
                with ctx.autocast():
                    real_l = functional_call(D, params, (x,)).float()
                    fake_l = functional_call(D, params, (fake,)).float()
                return discriminator_loss(real_l, fake_l)

            params = unrolled_parameters(D, self.opt_d, loss_fn, self.config.unroll)
            with ctx.autocast():
                return functional_call(D, params, (fake,)).float()
        finally:
            D.train(was)

    def sample(self, n: int, generator: torch.Generator, use_ema: bool = True) -> torch.Tensor:
        """``n`` samples in model space from the EMA generator (or the raw one), eval mode."""
        g = self.G_ema if (use_ema and self.G_ema is not None) else self.G
        was = g.training
        g.eval()
        try:
            with torch.no_grad():
                return g(self.noise(n, generator))
        finally:
            g.train(was)

    def train(self, mode: bool = True) -> GAN:
        self.G.train(mode)
        self.D.train(mode)
        return self  # the EMA generator always stays in eval mode

    def extra_state(self) -> dict[str, Any]:
        return {"d_updates": self.d_updates, "g_updates": self.g_updates}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.d_updates = int(state.get("d_updates", 0))
        self.g_updates = int(state.get("g_updates", 0))

    def evaluate(self, data: DataSet, generator: torch.Generator) -> dict[str, Any]:
        """Mode coverage (ring8/grid25: 2,500 samples as in VEEGAN/PacGAN; digits: 10,000).

        A run far from its target (a mode or class missed, or under :data:`COVERAGE_WARN_HQ`
        high-quality samples) gets ``warning`` and a :class:`RuntimeWarning`.
        """
        out: dict[str, Any] = dict(evaluate_samples(lambda n: self.sample(n, generator), data.info))
        message = coverage_warning(out)
        if message:
            out["warning"] = message
            warnings.warn(message, RuntimeWarning, stacklevel=2)
        return out


#: ``GAN.evaluate`` warns below this share of high-quality samples (our defaults reach 96% on ring8).
COVERAGE_WARN_HQ = 0.8


def coverage_warning(ev: dict[str, Any]) -> str | None:
    """The warning for evaluation figures far from the mode-coverage target, or None.

    Far means: a mode (``modes_covered < n_modes``) or a digit class missed, or a share of
    high-quality samples under :data:`COVERAGE_WARN_HQ`.
    """
    hint = "train longer (see the default budgets in --help) or check the learning rate"
    if "modes_covered" in ev:
        if ev["modes_covered"] < ev["n_modes"] or ev["high_quality"] < COVERAGE_WARN_HQ:
            return (
                f"far from the mode-coverage target: {ev['modes_covered']}/{ev['n_modes']} modes, "
                f"{100 * ev['high_quality']:.1f}% high-quality samples (target all modes, >= "
                f"{100 * COVERAGE_WARN_HQ:.0f}%); {hint}"
            )
    elif "classes_covered" in ev and ev["classes_covered"] < ev["n_classes"]:
        return f"far from the mode-coverage target: {ev['classes_covered']}/{ev['n_classes']} digit classes; {hint}"
    return None


def evaluate_samples(sample: Any, info: DataInfo) -> dict[str, float]:
    """Mode-coverage figures for a sampler ``sample(n) -> (n, *shape)`` on the data ``info`` describes.

    ``ring8``/``grid25`` (recognised by ``info.params["kind"]``, with their radius/spacing/std):
    ``modes_covered``, ``n_modes``, ``high_quality``, ``kl_uniform`` over 2,500 samples.
    ``digits``: ``classes_covered``, ``kl_uniform`` over 10,000 samples. Otherwise ``{}``.
    """
    from generative import metrics

    kind = info.params.get("kind", "") if info.params else ""
    if kind in ("ring8", "grid25"):
        geo = {k: float(v) for k, v in info.params.items() if k in ("radius", "spacing", "std")}
        x = _numpy(sample(metrics.N_EVAL_SAMPLES))
        cov = metrics.dataset_coverage(kind, x, **geo)
        return {
            "modes_covered": cov.modes_covered,
            "n_modes": cov.n_modes,
            "high_quality": cov.high_quality,
            "kl_uniform": cov.kl_uniform,
            "n_samples": cov.n_samples,
        }
    if info.name == "digits":
        x = _numpy(sample(10_000))
        cov = metrics.digit_coverage(np.clip(x, 0.0, 1.0))
        return {
            "classes_covered": cov.modes_covered,
            "n_classes": cov.n_modes,
            "kl_uniform": cov.kl_uniform,
            "n_samples": cov.n_samples,
        }
    return {}


def _numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float64)
