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
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

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
    "binarize",
    "elbo_terms",
    "gaussian_kl",
    "iwae_bound",
    "iwae_lr_factor",
    "likelihood_label",
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
    activation: Literal["relu", "tanh"] = _f("relu", "hidden-layer nonlinearity of the MLPs (the IWAE paper: tanh)")
    likelihood: Literal["auto", "bernoulli", "gaussian"] = _f(
        "auto", "decoder likelihood; auto = bernoulli for data in [0, 1], gaussian otherwise"
    )
    binarize: Literal["none", "static", "dynamic"] = _f(
        "none",
        "data in [0, 1] made binary: static = x >= 0.5 once; dynamic = every training batch resampled "
        "x ~ Bernoulli(x), the test set sampled once with a fixed seed",
    )
    lr: float = _f(1e-3, "Adam learning rate")
    lr_schedule: Literal["constant", "iwae"] = _f(
        "constant", "constant, or iwae: lr * 10^(-i/7) for 3^i passes, i = 0..7 (Burda et al. 2016; 3,280 passes)"
    )
    weight_decay: float = _f(0.05, "decoupled weight decay (AdamW) per unit learning rate; 0 = plain Adam")
    adam_eps: float = _f(1e-8, "Adam epsilon (the IWAE paper: 1e-4)")
    iwae_k: int = _f(1000, "importance samples of the IWAE log-likelihood estimate in evaluation")
    elbo_samples: int = _f(
        100, "codes z drawn per test example for the test ELBO's reconstruction term in evaluation (1 = one draw)"
    )
    sample_noise: bool = _f(True, "Gaussian likelihood: samples include the decoder noise (else its mean)")

    def __post_init__(self) -> None:
        if isinstance(self.latent_dim, bool) or not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        if not self.hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden):
            raise ValueError(f"hidden must be one or more positive integers, got {self.hidden!r}")
        for name, choices in (
            ("arch", ("mlp", "conv")),
            ("activation", ("relu", "tanh")),
            ("likelihood", ("auto", "bernoulli", "gaussian")),
            ("binarize", ("none", "static", "dynamic")),
            ("lr_schedule", ("constant", "iwae")),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name in ("lr", "adam_eps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        wd = self.weight_decay
        if isinstance(wd, bool) or not (isinstance(wd, (int, float)) and wd >= 0 and math.isfinite(wd)):
            raise ValueError(f"weight_decay must be a non-negative number, got {wd!r}")
        for name in ("iwae_k", "elbo_samples"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")


@dataclass
class AEConfig(VAEConfig):
    """Options of the autoencoder baseline: the VAE's networks, trained without KL or noise."""


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


def _mlp(sizes: list[int], activation: str = "relu") -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.Tanh() if activation == "tanh" else nn.ReLU()]
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
            self.encoder = _mlp([d, *config.hidden, 2 * k], config.activation)
            self.decoder = _mlp([k, *reversed(config.hidden), d], config.activation)
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
        assert self.log_sigma is not None  # Gaussian decoder
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


#: Passes of the IWAE paper's schedule: stage i = 0..7 lasts 3^i passes (sum 3,280).
IWAE_SCHEDULE_PASSES = sum(3**i for i in range(8))
#: Seed of the one-off Bernoulli sample of the test set under ``binarize="dynamic"`` (not the run's).
TEST_BINARIZE_SEED = 31_415
#: ``evaluate`` warns of posterior collapse below this test KL (nats per example) ...
COLLAPSE_KL = 0.5
#: ... and counts a latent unit active when Cov_x(E_q[z_u]) exceeds this (Burda et al. 2016, sec. 5.2).
ACTIVE_UNIT_VAR = 0.01


def iwae_lr_factor(epoch: float) -> float:
    """The IWAE paper's learning-rate factor ``10^(-i/7)`` at ``epoch`` passes over the data.

    Stage ``i`` (0..7) spans ``3^i`` passes: passes [0, 1) use factor 1, [1, 4) ``10^(-1/7)``,
    [4, 13) ``10^(-2/7)`` ... [1093, 3280) and beyond ``10^(-1)``.
    """
    i, end = 0, 1
    while epoch >= end and i < 7:
        i += 1
        end += 3**i
    return float(10.0 ** (-i / 7))


def binarize(x: torch.Tensor, mode: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Binary data from values in [0, 1]: ``"static"`` ``x >= 1/2``, ``"dynamic"`` ``x ~ Bernoulli(x)``.

    ``"none"`` returns ``x``. Dynamic binarisation draws with ``generator`` (on ``x``'s device).
    """
    if mode == "none":
        return x
    if mode == "static":
        return (x >= 0.5).to(x.dtype)
    if mode == "dynamic":
        return torch.bernoulli(x, generator=generator)
    raise ValueError(f"binarize must be none, static or dynamic, got {mode!r}")


def likelihood_label(x: torch.Tensor, bernoulli: bool) -> str:
    """What the evaluated nats are: a Bernoulli log-likelihood only on binary data."""
    if not bernoulli:
        return "gaussian log-density (real-valued data)"
    if bool(((x == 0) | (x == 1)).all()):
        return "bernoulli log-likelihood (binary data)"
    return "not a likelihood: grey levels scored with a Bernoulli density; use binary data for comparable nats"


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
    #: Default budgets of ``python -m generative train vae`` (neither --steps nor --epochs given):
    #: dataset -> {"epochs" | "steps": n, "cpu_s": measured CPU seconds of the whole run, "gives": quality}.
    budgets: ClassVar[dict[str, dict[str, Any]]] = {
        "digits-binary": {"epochs": 300, "cpu_s": 22, "gives": "test ELBO -17.7, IWAE(k=1000) -16.5 nats"},
        "digits": {"epochs": 300, "cpu_s": 22, "gives": "test KL 3.8 nats, no collapse (grey: not a likelihood)"},
    }
    #: Published protocols (``--preset NAME``): TrainConfig and VAEConfig fields.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "iwae-mnist": {
            "help": "Burda et al. 2016, Table 1, VAE k=1 (86.76 nats): 784-200-200-50 tanh, dynamic "
            "binarisation, Adam eps 1e-4, batch 20, 3,280 passes with lr 1e-3 * 10^(-i/7) for 3^i passes, "
            "test NLL = -IWAE(k=5000); --dataset your MNIST IDX folder",
            "train": {
                "batch_size": 20,
                "epochs": float(IWAE_SCHEDULE_PASSES),
                "log_every": 3000,
                "sample_every": 30_000,
                "checkpoint_every": 30_000,
            },
            "method": {
                "hidden": (200, 200),
                "latent_dim": 50,
                "activation": "tanh",
                "likelihood": "bernoulli",
                "binarize": "dynamic",
                "lr": 1e-3,
                "lr_schedule": "iwae",
                "adam_eps": 1e-4,
                "weight_decay": 0.0,
                "iwae_k": 5000,
            },
        }
    }

    def __init__(self, config: VAEConfig, info: DataInfo, ctx: Context) -> None:
        super().__init__(config, info, ctx)
        lik = config.likelihood
        if lik == "auto":
            lik = "bernoulli" if info.bounded else "gaussian"
        if lik == "bernoulli" and not info.bounded:
            raise ValueError(f"likelihood='bernoulli' needs data in [0, 1]; dataset {info.name!r} is real-valued")
        self.likelihood = lik
        self.net = VAENet(info, config, bernoulli=lik == "bernoulli").to(ctx.device)
        if config.binarize != "none" and not info.bounded:
            raise ValueError(f"binarize={config.binarize!r} needs data in [0, 1]; dataset {info.name!r} is real-valued")
        self.model = ctx.wrap(self.net)
        opt = torch.optim.AdamW if config.weight_decay > 0 else torch.optim.Adam
        self.opt = opt(self.net.parameters(), lr=config.lr, eps=config.adam_eps, weight_decay=config.weight_decay)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def _set_lr(self, batches: Iterator[torch.Tensor]) -> None:
        """The IWAE schedule's rate for the pass the stream is in (a function of its position: resumable)."""
        examples, stream_data = getattr(batches, "examples", None), getattr(batches, "data", None)
        if examples is None or stream_data is None:
            raise ValueError("lr_schedule='iwae' needs the core's BatchStream (it reads the pass number from it)")
        epoch = examples * self.ctx.world_size / stream_data.n_train
        for group in self.opt.param_groups:
            group["lr"] = self.config.lr * iwae_lr_factor(epoch)

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> dict[str, float | torch.Tensor]:
        if self.config.lr_schedule == "iwae":
            self._set_lr(batches)
        x = binarize(next(batches), self.config.binarize, self.ctx.generator)
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
        out: dict[str, float | torch.Tensor] = {"loss": loss.detach(), "rec": rec.detach()}
        if not self.deterministic:
            out.update(elbo=-loss.detach(), kl=kl.detach())
        return out

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=self.ctx.device)
        x = self.net.decode_mean(z)
        if not self.net.bernoulli and self.config.sample_noise and not self.deterministic:
            assert self.net.log_sigma is not None
            sigma = torch.exp(self.net.log_sigma.float()).reshape(self.info.shape)
            x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
        return x

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decoder mean at the encoder mean, (n, *shape)."""
        return self.net.decode_mean(self.net.encode(x)[0])

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``mu(x)``, (n, latent_dim)."""
        return self.net.encode(x)[0]

    def test_data(self, data: DataSet) -> torch.Tensor:
        """The test set as evaluated, on the device: binarised as in training (dynamic: one fixed draw)."""
        g = torch.Generator().manual_seed(TEST_BINARIZE_SEED)
        return binarize(data.test, self.config.binarize, g).to(self.ctx.device)

    def evaluate(self, data: DataSet, generator: torch.Generator, batch: int = 1000) -> dict[str, Any]:
        """Test-set ELBO, its terms, the IWAE estimate (k = ``iwae_k``), per example in nats, and active units.

        The ELBO's reconstruction term ``E_q log p(x|z)`` is the mean over ``elbo_samples`` codes
        per example (the KL is closed-form). With one code, the test ELBO of the 297 digits
        moves with the evaluation seed: the CLI default model gave -17.51 to -17.95 nats over
        six seeds (standard deviation 0.17), more than the differences it is compared with;
        100 codes gave -17.74 and -17.73.

        ``likelihood`` says whether the nats are a log-likelihood (binary data, or a Gaussian
        density) or not (grey levels under a Bernoulli). A test KL below :data:`COLLAPSE_KL`
        (posterior collapse: the code tells the decoder almost nothing) adds ``warning`` and
        issues a :class:`RuntimeWarning`.
        """
        x = self.test_data(data)
        rec, kl, iw, mus = [], [], [], []
        for i in range(0, len(x), batch):
            r, k = elbo_terms(self.net, x[i : i + batch], generator)
            r = r.double()
            for _ in range(self.config.elbo_samples - 1):
                r = r + elbo_terms(self.net, x[i : i + batch], generator)[0].double()
            rec.append(r / self.config.elbo_samples)
            kl.append(k.double())
            iw.append(iwae_bound(self.net, x[i : i + batch], self.config.iwae_k, generator))
            mus.append(self.net.encode(x[i : i + batch])[0].double())
        rec_m, kl_m = torch.cat(rec).mean().item(), torch.cat(kl).mean().item()
        mu = torch.cat(mus)
        active = int((mu.var(0, unbiased=False) > ACTIVE_UNIT_VAR).sum()) if len(mu) > 1 else 0
        out: dict[str, Any] = {
            "test_elbo": rec_m - kl_m,
            "test_rec": rec_m,
            "test_kl": kl_m,
            "test_iwae": torch.cat(iw).mean().item(),
            "iwae_k": self.config.iwae_k,
            "elbo_samples": self.config.elbo_samples,
            "active_units": active,
            "n_test": len(x),
            "likelihood": likelihood_label(x, self.net.bernoulli),
        }
        if kl_m < COLLAPSE_KL:
            out["warning"] = (
                f"posterior collapse: test KL {kl_m:.3g} nats < {COLLAPSE_KL} ({active} active latent units); "
                "train longer (see the default budgets in --help) or check the learning rate"
            )
            warnings.warn(out["warning"], RuntimeWarning, stacklevel=2)
        return out

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

    def evaluate(self, data: DataSet, generator: torch.Generator, batch: int = 1000) -> dict[str, Any]:
        """Test reconstruction log-likelihood ``log p(x | z = mu(x))`` per example in nats."""
        x = self.test_data(data)
        rec = torch.cat([self.net(x[i : i + batch], None)[0].double() for i in range(0, len(x), batch)])
        return {"test_rec": rec.mean().item(), "n_test": len(x)}
