"""VEEGAN (Srivastava et al. 2017): a GAN with a reconstructor network that autoencodes the noise.

A baseline of the mode-collapse literature, here so that its numbers can be measured under the
same protocol, networks and budget as ours (``python -m benchmarks.generative_gan --baselines``).

The model
---------
Besides the generator ``G: z -> x`` (``z ~ N(0, I)``) a *reconstructor* ``F: x -> z`` maps data
back to noise, and a discriminator ``D(z, x)`` (a logit on the concatenated pair) tells the
generator's joint ``(z, G(z))`` from the reconstructor's ``(F(x), x)``, ``x ~ p_data``. At its
optimum ``D(z, x) = log q_G(x | z) p_0(z) / (p_F(z | x) p_data(x))``. Algorithm 1 of the paper,
one minibatch of ``m`` real examples and ``m`` noise vectors per step:

* discriminator: ``L_D = E[softplus(-D(z, G(z)))] + E[softplus(D(F(x), x))]`` (generator pairs
  labelled 1, reconstructor pairs 0);
* generator and reconstructor, jointly: ``O = E[D(z, G(z))] + lambda E[-log p_F(z | G(z))]``:
  the first term estimates ``KL(q_G(x|z) p_0(z) || p_F(z|x) p_data(x))``, the second autoencodes
  the *noise* (``lambda = recon_weight``, 1 in the paper). ``F`` gets its gradient from the
  second term only, as in the paper. A generator that drops a mode cannot map the noise of that
  mode anywhere ``F`` can invert, so the noise autoencoder penalises mode collapse.

The reconstructor is Gaussian, ``p_F(z | x) = N(mu(x), diag sigma(x)^2)``, so the reconstruction
distance is its negative log-likelihood (the paper's ``l2`` when ``sigma = 1``): with more noise
dimensions than data dimensions (16 against 2 here) a deterministic ``F`` could neither invert
``G`` nor make the reconstructor's joint match the generator's. The networks are the GAN's MLPs
(:mod:`generative.gan`); sampling uses ``G`` directly (no EMA); evaluation is the GAN's mode
coverage.

>>> cfg = VEEGANConfig(hidden=(8,), latent_dim=2)
>>> cfg.recon_weight
1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generative._checks import check_fraction, check_int, check_number, check_widths
from generative.data import DataInfo, DataSet
from generative.gan import MLPDiscriminator, MLPGenerator, _f, evaluate_samples
from generative.train import Context, Method, MethodConfig, register_method

__all__ = ["VEEGAN", "JointDiscriminator", "Reconstructor", "VEEGANConfig"]


class Reconstructor(nn.Module):
    """The Gaussian reconstructor ``p_F(z | x) = N(mu(x), diag sigma(x)^2)`` of an MLP (ReLU).

    ``forward(x)`` returns ``(mu, log_sigma)``, each ``(N, latent_dim)``; ``log_sigma`` is
    clamped to [-7, 3] for numerical safety.
    """

    def __init__(self, data_shape: tuple[int, ...], latent_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.mlp = MLPGenerator(math.prod(data_shape), (2 * self.latent_dim,), hidden, "linear")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.mlp(x.reshape(x.shape[0], -1))
        return out[:, : self.latent_dim], out[:, self.latent_dim :].clamp(-7.0, 3.0)

    def nll(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``-log p_F(z | x)`` per row, up to the constant ``latent_dim / 2 * log(2 pi)``."""
        mu, log_sigma = self(x)
        return (0.5 * ((z - mu) * torch.exp(-log_sigma)).pow(2) + log_sigma).sum(1)

    def rsample(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One draw ``z ~ p_F(z | x)`` per row (reparameterised)."""
        mu, log_sigma = self(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(log_sigma) * eps


class JointDiscriminator(nn.Module):
    """Pairs ``(z, x)`` -> logits ``(N,)``: an MLP (LeakyReLU 0.2) on ``[z, flatten(x)]``."""

    def __init__(self, data_shape: tuple[int, ...], latent_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.mlp = MLPDiscriminator((latent_dim + math.prod(data_shape),), hidden)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([z, x.reshape(x.shape[0], -1)], dim=1))


@dataclass
class VEEGANConfig(MethodConfig):
    """Options of ``python -m generative train veegan`` (networks and optimiser as the GAN's defaults)."""

    latent_dim: int = _f(16, "noise dimension")
    hidden: tuple[int, ...] = _f((128, 128, 128), "hidden widths of the generator, reconstructor and discriminator")
    recon_weight: float = _f(1.0, "weight lambda of the noise autoencoder term E[-log p_F(z | G(z))]")
    lr: float = _f(1e-3, "Adam learning rate of all three networks")
    beta1: float = _f(0.0, "Adam beta1")
    beta2: float = _f(0.99, "Adam beta2")

    def __post_init__(self) -> None:
        check_int(self.latent_dim, "latent_dim")
        self.hidden = check_widths(self.hidden, "hidden")
        check_number(self.lr, "lr", positive=True)
        check_number(self.recon_weight, "recon_weight", nonnegative=True)
        for name in ("beta1", "beta2"):
            check_fraction(getattr(self, name), name)


@register_method("veegan")
class VEEGAN(Method):
    """Srivastava et al.'s Algorithm 1: one discriminator update, then one joint generator and
    reconstructor update, per step (one minibatch each).

    Logged per step: ``loss_d``, ``loss_g`` (``O``), ``recon`` (``E[-log p_F(z | G(z))]`` up to a constant),
    ``d_gen`` and ``d_rec`` (mean ``sigmoid D`` on generator and reconstructor pairs). Under
    ``torchrun`` gradients are averaged over ranks by hand before each update, as for the GAN.
    """

    Config = VEEGANConfig

    def __init__(self, config: VEEGANConfig, info: DataInfo, ctx: Context) -> None:
        super().__init__(config, info, ctx)
        shape = tuple(info.shape)
        self.G = MLPGenerator(config.latent_dim, shape, config.hidden, "sigmoid" if info.bounded else "linear")
        self.F = Reconstructor(shape, config.latent_dim, config.hidden)
        self.D = JointDiscriminator(shape, config.latent_dim, config.hidden)
        for m in (self.G, self.F, self.D):
            m.to(ctx.device)
        betas = (config.beta1, config.beta2)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas)
        self.opt_gf = torch.optim.Adam([*self.G.parameters(), *self.F.parameters()], lr=config.lr, betas=betas)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, "D": self.D}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"D": self.opt_d, "GF": self.opt_gf}

    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` standard normal noise vectors ``(n, latent_dim)`` on the model's device."""
        return torch.randn((n, self.config.latent_dim), generator=generator, device=self.ctx.device)

    def train_step(self, batches: Iterator[torch.Tensor], step: int) -> dict[str, float | torch.Tensor]:
        ctx = self.ctx
        x = next(batches)
        z = self.noise(len(x), ctx.generator)
        with torch.no_grad(), ctx.autocast():
            fake, z_rec = self.G(z), self.F.rsample(x, ctx.generator)
        with ctx.autocast():
            gen_logits = self.D(z, fake).float()
            rec_logits = self.D(z_rec, x).float()
        loss_d = F.softplus(-gen_logits).mean() + F.softplus(rec_logits).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        ctx.all_reduce_grads(self.D)
        self.opt_d.step()

        with ctx.autocast():
            fake = self.G(z)
            kl_term = self.D(z, fake).float().mean()
            recon = self.F.nll(z, fake.float()).mean()
        loss_g = kl_term + self.config.recon_weight * recon
        self.opt_gf.zero_grad(set_to_none=True)
        loss_g.backward()
        ctx.all_reduce_grads(self.G, self.F)
        self.opt_gf.step()
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "recon": recon.detach(),
            "d_gen": torch.sigmoid(gen_logits.detach()).mean(),
            "d_rec": torch.sigmoid(rec_logits.detach()).mean(),
        }

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples ``G(z)`` in model space, eval mode."""
        was = self.G.training
        self.G.eval()
        try:
            with torch.no_grad():
                return self.G(self.noise(n, generator))
        finally:
            self.G.train(was)

    def evaluate(self, data: DataSet, generator: torch.Generator) -> dict[str, float]:
        """Mode coverage as for the GAN (ring8/grid25: 2,500 samples; digits: 10,000)."""
        return evaluate_samples(lambda n: self.sample(n, generator), data.info)
