r"""The variational autoencoder (Kingma & Welling 2014) and the plain autoencoder baseline.

Model: prior :math:`p(z) = N(0, I)`, decoder :math:`p_\theta(x \mid z)` (Bernoulli with logits
for data in ``[0, 1]``, Gaussian with a learned per-dimension standard deviation for real
data), encoder :math:`q_\phi(z \mid x) = N(\mu_\phi(x), \operatorname{diag} \sigma^2_\phi(x))`.

The evidence lower bound for one example, in nats::

    ELBO(x) = E_q[log p(x|z)]  -  KL(q(z|x) || p(z))    <=  log p(x)
              \_ reconstruction _/  \______ KL ______/

with the KL term in closed form for diagonal Gaussians::

    KL = 1/2 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

AEVB (Algorithm 1 of the paper) ascends the minibatch average of the ELBO estimated with L = 1
reparameterised sample ``z = mu + sigma * eps``, ``eps ~ N(0, I)`` (minibatch M = 100).

The importance-weighted bound (Burda et al. 2016) with k samples ``z_i ~ q(z|x)``::

    IWAE_k(x) = log (1/k) sum_i p(x, z_i) / q(z_i|x)

satisfies ``ELBO = E[IWAE_1] <= E[IWAE_k] <= E[IWAE_{k+1}] -> log p(x)``; with k = 1000 it is
the usual estimate of the test log-likelihood.

The autoencoder baseline (method ``"ae"``) uses the same networks with the code ``z = mu(x)``
and minimises the reconstruction loss alone (no KL, no noise); "sampling" it decodes
``z ~ N(0, I)``, a prior it was never trained to match - the lecture's point.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generative.data import DataInfo, DataSet
from generative.train import Context, Method, MethodConfig, picture_kind, register_method

__all__ = [
    "AE",
    "VAE",
    "AEConfig",
    "VAEConfig",
    "VAENet",
    "elbo_terms",
    "gaussian_kl",
    "iwae_bound",
]

_LOG2PI = math.log(2 * math.pi)


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class VAEConfig(MethodConfig):
    """Options of the VAE (each one a ``--option`` of ``python -m generative train vae``)."""

    latent_dim: int = _f(8, "latent dimensions")
    hidden: tuple[int, ...] = _f((256, 256), "hidden layer widths of the encoder (the decoder mirrors them)")
    arch: Literal["mlp", "conv"] = _f("mlp", "mlp, or conv (images only: strided convolutions)")
    likelihood: Literal["auto", "bernoulli", "gaussian"] = _f(
        "auto", "decoder likelihood; auto = bernoulli for data in [0, 1], gaussian otherwise"
    )
    lr: float = _f(1e-3, "Adam learning rate")
    iwae_k: int = _f(1000, "importance samples of the IWAE log-likelihood estimate in evaluation")
    sample_noise: bool = _f(True, "Gaussian likelihood: samples include the decoder noise (else its mean)")

    def __post_init__(self) -> None:
        if not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        if not self.hidden or any(not isinstance(h, int) or h < 1 for h in self.hidden):
            raise ValueError(f"hidden must be one or more positive integers, got {self.hidden!r}")
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"arch must be 'mlp' or 'conv', got {self.arch!r}")
        if self.likelihood not in ("auto", "bernoulli", "gaussian"):
            raise ValueError(f"likelihood must be auto, bernoulli or gaussian, got {self.likelihood!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not isinstance(self.iwae_k, int) or self.iwae_k < 1:
            raise ValueError(f"iwae_k must be a positive integer, got {self.iwae_k!r}")


@dataclass
class AEConfig(VAEConfig):
    """Options of the autoencoder baseline: the VAE's networks, trained without KL or noise."""


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def _f32(t: torch.Tensor) -> torch.Tensor:
    """Half-precision (autocast) outputs to float32; float32/float64 unchanged."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def _image_hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (shape[0], shape[1], 1) if len(shape) == 2 else (shape[0], shape[1], shape[2])


class _ConvEncoder(nn.Module):
    def __init__(self, shape: tuple[int, ...], out: int, width: int) -> None:
        super().__init__()
        h, w, c = _image_hwc(shape)
        self.hwc = (h, w, c)
        self.body = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(2 * width * (h // 2) * (w // 2), out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w, c = self.hwc
        x = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)
        return self.head(self.body(x))


class _ConvDecoder(nn.Module):
    def __init__(self, shape: tuple[int, ...], latent: int, width: int) -> None:
        super().__init__()
        h, w, c = _image_hwc(shape)
        self.hwc, self.width = (h, w, c), width
        self.head = nn.Sequential(nn.Linear(latent, 2 * width * (h // 2) * (w // 2)), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(width, c, 3, padding=1)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h, w, c = self.hwc
        y = self.body(self.head(z).reshape(-1, 2 * self.width, h // 2, w // 2))
        return y.permute(0, 2, 3, 1).reshape(len(z), h * w * c)


class VAENet(nn.Module):
    """Encoder ``x -> (mu, log sigma^2)`` and decoder ``z -> logits / mean`` (plus ``log_sigma`` for Gaussian).

    ``forward(x, eps)`` returns the per-example reconstruction term ``log p(x|z)`` and the KL
    term at ``z = mu + sigma * eps`` (``eps=None``: the autoencoder's ``z = mu``, KL zero).
    """

    def __init__(self, info: DataInfo, config: VAEConfig, bernoulli: bool) -> None:
        super().__init__()
        d, k = info.dim, config.latent_dim
        self.shape, self.latent_dim, self.bernoulli = info.shape, k, bernoulli
        if config.arch == "conv":
            if not info.image or info.shape[0] % 2 or info.shape[1] % 2:
                raise ValueError(f"arch='conv' needs images with even height and width, got data shape {info.shape}")
            self.encoder: nn.Module = _ConvEncoder(info.shape, 2 * k, config.hidden[0] // 8 or 1)
            self.decoder: nn.Module = _ConvDecoder(info.shape, k, config.hidden[0] // 8 or 1)
        else:
            self.encoder = _mlp([d, *config.hidden, 2 * k])
            self.decoder = _mlp([k, *reversed(config.hidden), d])
        # Gaussian decoder: one learned log standard deviation per data dimension.
        self.log_sigma = nn.Parameter(torch.zeros(d)) if not bernoulli else None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)``, each (n, latent_dim), of q(z|x) for x (n, *shape)."""
        h = _f32(self.encoder(x.reshape(len(x), -1)))
        return h[:, : self.latent_dim], h[:, self.latent_dim :]

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x|z)`` summed over data dimensions; z (..., n, k), x (n, *shape) -> (..., n)."""
        lead = z.shape[:-1]
        out = _f32(self.decoder(z.reshape(-1, self.latent_dim))).reshape(*lead, -1)
        x = x.reshape(len(x), -1).to(out.dtype)
        if self.bernoulli:
            return -F.binary_cross_entropy_with_logits(out, x.expand_as(out), reduction="none").sum(-1)
        ls = self.log_sigma.to(out.dtype)
        return (-0.5 * ((x - out) * torch.exp(-ls)) ** 2 - ls - 0.5 * _LOG2PI).sum(-1)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """Mean of p(x|z): probabilities (Bernoulli) or the Gaussian mean, shape (n, *shape)."""
        out = _f32(self.decoder(z))
        return (torch.sigmoid(out) if self.bernoulli else out).reshape(len(z), *self.shape)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        if eps is None:
            return self.log_likelihood(x, mu), torch.zeros_like(mu[:, 0])
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.log_likelihood(x, z), gaussian_kl(mu, logvar)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(logvar)) || N(0, I))`` per row, in nats: ``1/2 sum(mu^2 + e^logvar - 1 - logvar)``.

    Parameters
    ----------
    mu, logvar : Tensor (n, k)

    Returns
    -------
    Tensor (n,)
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def elbo_terms(net: VAENet, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-sample (L = 1) estimates of ``E_q log p(x|z)`` and the closed-form KL, per example (n,)."""
    eps = torch.randn(len(x), net.latent_dim, generator=generator, device=x.device)
    return net(x, eps)


def iwae_bound(net: VAENet, x: torch.Tensor, k: int, generator: torch.Generator, chunk: int = 1 << 25) -> torch.Tensor:
    """The importance-weighted bound ``log (1/k) sum_i p(x, z_i)/q(z_i|x)`` per example, in nats.

    Parameters
    ----------
    net : VAENet
    x : Tensor (n, *shape)
    k : int
        Importance samples per example (``k = 1`` gives an unbiased ELBO estimate).
    generator : torch.Generator
    chunk : int
        Values (samples x examples x data dimensions) decoded at once: bounds the memory.

    Returns
    -------
    Tensor (n,), float64
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    out = []
    pairs = max(1, chunk // max(1, x[0].numel()))  # (sample, example) pairs per decoder call
    per = max(1, pairs // k)
    for i in range(0, len(x), per):
        xb = x[i : i + per]
        mu, logvar = net.encode(xb)
        std = torch.exp(0.5 * logvar)
        logw = []
        kc = max(1, pairs // len(xb))
        for j in range(0, k, kc):
            m = min(kc, k - j)
            eps = torch.randn(m, *mu.shape, generator=generator, device=x.device)
            z = mu + std * eps
            log_pz = (-0.5 * z.pow(2) - 0.5 * _LOG2PI).sum(-1)
            log_qz = (-0.5 * eps.pow(2) - 0.5 * logvar - 0.5 * _LOG2PI).sum(-1)
            logw.append((net.log_likelihood(xb, z) + log_pz - log_qz).double())
        lw = torch.cat(logw)
        out.append(torch.logsumexp(lw, 0) - math.log(k))
    return torch.cat(out)


# --------------------------------------------------------------------------------------------
# Methods
# --------------------------------------------------------------------------------------------


@register_method("vae")
class VAE(Method):
    """AEVB: Adam ascent on the minibatch ELBO with one reparameterised sample per example.

    Logged per step: ``loss`` (= -ELBO), ``elbo``, ``rec`` (E log p(x|z)) and ``kl``, all per
    example in nats.
    """

    Config = VAEConfig
    deterministic = False

    def __init__(self, config: VAEConfig, info: DataInfo, ctx: Context) -> None:
        super().__init__(config, info, ctx)
        lik = config.likelihood
        if lik == "auto":
            lik = "bernoulli" if info.bounded else "gaussian"
        if lik == "bernoulli" and not info.bounded:
            raise ValueError(f"likelihood='bernoulli' needs data in [0, 1]; dataset {info.name!r} is real-valued")
        self.likelihood = lik
        self.net = VAENet(info, config, bernoulli=lik == "bernoulli").to(ctx.device)
        self.model = ctx.wrap(self.net)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=config.lr)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        x = next(batches)
        eps = (
            None
            if self.deterministic
            else torch.randn(len(x), self.config.latent_dim, generator=self.ctx.generator, device=x.device)
        )
        with self.ctx.autocast():
            rec, kl = self.model(x, eps)
        rec, kl = rec.float().mean(), kl.float().mean()
        loss = kl - rec
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        out = {"loss": loss.detach(), "rec": rec.detach()}
        if not self.deterministic:
            out.update(elbo=-loss.detach(), kl=kl.detach())
        return out

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=self.ctx.device)
        x = self.net.decode_mean(z)
        if not self.net.bernoulli and self.config.sample_noise and not self.deterministic:
            sigma = torch.exp(self.net.log_sigma.float()).reshape(self.info.shape)
            x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
        return x

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decoder mean at the encoder mean, (n, *shape)."""
        return self.net.decode_mean(self.net.encode(x)[0])

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``mu(x)``, (n, latent_dim)."""
        return self.net.encode(x)[0]

    def evaluate(self, data: DataSet, generator: torch.Generator, batch: int = 1000) -> dict[str, float]:
        """Test-set ELBO, its terms and the IWAE estimate (k = ``iwae_k``), per example in nats."""
        x = data.test.to(self.ctx.device)
        rec, kl, iw = [], [], []
        for i in range(0, len(x), batch):
            r, k = elbo_terms(self.net, x[i : i + batch], generator)
            rec.append(r.double())
            kl.append(k.double())
            iw.append(iwae_bound(self.net, x[i : i + batch], self.config.iwae_k, generator))
        rec_m, kl_m = torch.cat(rec).mean().item(), torch.cat(kl).mean().item()
        return {
            "test_elbo": rec_m - kl_m,
            "test_rec": rec_m,
            "test_kl": kl_m,
            "test_iwae": torch.cat(iw).mean().item(),
            "iwae_k": self.config.iwae_k,
            "n_test": len(x),
        }

    def figures(self, data: DataSet, generator: torch.Generator) -> dict[str, Any]:
        figs = super().figures(data, generator)
        if picture_kind(self.info) == "grid":
            from generative import plots

            x = data.test[:32].to(self.ctx.device)
            both = torch.cat([x, self.reconstruct(x)]).cpu().numpy()
            figs["reconstructions"] = plots.image_grid(
                np.clip(both, 0, 1) if self.info.bounded else both,
                ncol=16,
                scale=max(1, 64 // max(self.info.shape[:2])),
            )
        return figs


@register_method("ae")
class AE(VAE):
    """The plain autoencoder: the VAE's networks, code ``z = mu(x)``, loss = -log p(x|z) only.

    Logged per step: ``loss`` (reconstruction negative log-likelihood) and ``rec``.
    """

    Config = AEConfig
    deterministic = True

    def evaluate(self, data: DataSet, generator: torch.Generator, batch: int = 1000) -> dict[str, float]:
        """Test reconstruction log-likelihood ``log p(x | z = mu(x))`` per example in nats."""
        x = data.test.to(self.ctx.device)
        rec = torch.cat([self.net(x[i : i + batch], None)[0].double() for i in range(0, len(x), batch)])
        return {"test_rec": rec.mean().item(), "n_test": len(x)}
