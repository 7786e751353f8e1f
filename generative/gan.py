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
* Spectral normalisation (Miyato et al. 2018) of every discriminator weight.
* An exponential moving average of the generator's weights (``ema_decay``), used for sampling
  (Yazici et al. 2019): averaging the iterates cancels the generator's rotation around the
  equilibrium and sharpens the modes.
"""

from __future__ import annotations

import copy
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "GENERATOR_LOSSES",
    "MLPGenerator",
    "MLPDiscriminator",
    "ConvGenerator",
    "ConvDiscriminator",
    "GAN",
    "discriminator_loss",
    "generator_loss",
    "r1_penalty",
    "ema_update",
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

    def __init__(self, latent_dim: int, data_shape: Sequence[int], hidden: Sequence[int] = (256, 256, 256),
                 output: str = "linear") -> None:
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

    def __init__(self, data_shape: Sequence[int], hidden: Sequence[int] = (256, 256, 256),
                 spectral_norm: bool = False) -> None:
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
    """DCGAN-style generator for images ``(C, H, W)`` with ``H, W`` divisible by 4.

    ``z -> Linear -> (4c, H/4, W/4) -> ConvT(stride 2) -> (2c, H/2, W/2) -> ConvT -> (C, H, W)``,
    batch norm and ReLU between, sigmoid output (images in [0, 1]).
    """

    def __init__(self, latent_dim: int, data_shape: Sequence[int], channels: int = 64) -> None:
        super().__init__()
        self.data_shape = _check_image_shape(data_shape)
        c_out, h, w = self.data_shape
        self.h0, self.w0, self.c0 = h // 4, w // 4, 4 * channels
        self.fc = nn.Sequential(nn.Linear(latent_dim, self.c0 * self.h0 * self.w0),
                                nn.BatchNorm1d(self.c0 * self.h0 * self.w0), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(self.c0, 2 * channels, 4, stride=2, padding=1), nn.BatchNorm2d(2 * channels), nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, c_out, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(z.shape[0], self.c0, self.h0, self.w0))


class ConvDiscriminator(nn.Module):
    """DCGAN-style discriminator: two stride-2 convolutions (LeakyReLU 0.2), then a linear logit."""

    def __init__(self, data_shape: Sequence[int], channels: int = 64, spectral_norm: bool = False) -> None:
        super().__init__()
        c_in, h, w = _check_image_shape(data_shape)
        self.net = nn.Sequential(
            _maybe_sn(nn.Conv2d(c_in, channels, 4, stride=2, padding=1), spectral_norm), nn.LeakyReLU(0.2),
            _maybe_sn(nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), spectral_norm), nn.LeakyReLU(0.2),
            nn.Flatten(),
            _maybe_sn(nn.Linear(2 * channels * (h // 4) * (w // 4), 1), spectral_norm),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


class GAN(nn.Module):
    """Generator, discriminator, and (optionally) the EMA copy of the generator used for sampling.

    Parameters
    ----------
    data_shape : tuple of int
        Shape of one sample: ``(D,)`` for vectors, ``(C, H, W)`` for images.
    latent_dim : int
        Noise dimension.
    arch : {"mlp", "conv"}
        MLPs, or the DCGAN-style convolutional pair (images only).
    hidden : sequence of int
        MLP hidden widths (both networks); for ``"conv"``, ``hidden[0]`` is the base channel count.
    output : {"linear", "sigmoid"}
        Generator output activation (MLP; the conv generator is always sigmoid).
    spectral_norm : bool
        Spectral normalisation in the discriminator.
    ema : bool
        Keep an exponential moving average of the generator for sampling.
    """

    def __init__(self, data_shape: Sequence[int], latent_dim: int = 16, arch: str = "mlp",
                 hidden: Sequence[int] = (256, 256, 256), output: str = "linear",
                 spectral_norm: bool = False, ema: bool = True) -> None:
        super().__init__()
        if arch not in ("mlp", "conv"):
            raise ValueError(f"arch must be 'mlp' or 'conv', got {arch!r}")
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
        hidden = tuple(int(h) for h in hidden)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden widths must be positive integers, got {hidden!r}")
        self.data_shape = tuple(int(s) for s in data_shape)
        self.latent_dim = latent_dim
        if arch == "conv":
            self.generator: nn.Module = ConvGenerator(latent_dim, self.data_shape, hidden[0])
            self.discriminator: nn.Module = ConvDiscriminator(self.data_shape, hidden[0], spectral_norm)
        else:
            self.generator = MLPGenerator(latent_dim, self.data_shape, hidden, output)
            self.discriminator = MLPDiscriminator(self.data_shape, hidden, spectral_norm)
        self.generator_ema: nn.Module | None = None
        if ema:
            self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False).eval()

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws of the noise prior (standard normal) on the model's device."""
        dev = next(self.parameters()).device
        return torch.randn(n, self.latent_dim, generator=generator, device=dev)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, use_ema: bool = True,
               batch_size: int = 4096) -> torch.Tensor:
        """``n`` samples ``(n, *data_shape)`` from the EMA generator (or the raw one), in eval mode."""
        g = self.generator_ema if (use_ema and self.generator_ema is not None) else self.generator
        was_training = g.training
        g.eval()
        try:
            out = [g(self.noise(min(batch_size, n - i), generator)) for i in range(0, n, batch_size)]
        finally:
            g.train(was_training)
        return torch.cat(out) if out else torch.empty(0, *self.data_shape)


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


def _check_output(output: str) -> None:
    if output not in ("linear", "sigmoid"):
        raise ValueError(f"output must be 'linear' or 'sigmoid', got {output!r}")


def _check_image_shape(shape: Sequence[int]) -> tuple[int, int, int]:
    s = tuple(int(v) for v in shape)
    if len(s) != 3 or s[1] % 4 or s[2] % 4 or min(s) < 1:
        raise ValueError(f"the conv networks need images (C, H, W) with H, W divisible by 4, got {s}")
    return s  # type: ignore[return-value]
