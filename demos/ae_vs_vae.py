"""AE vs VAE: the two latent spaces of the digits and what decoding the prior gives.

Run ``python -m demos.ae_vs_vae --help``.  Trains a plain autoencoder and a VAE with the same
networks and a 2-D latent space on scikit-learn's digits (same seed, same budget), then draws
for each: the codes ``mu(x)`` of the test and training digits coloured by class, 64 images decoded
from prior samples ``z ~ N(0, I)``, and the decoder's image of a grid of latent points over
``[-2.5, 2.5]^2``.  The lecture's two questions, answered in one picture:

* "Can we generate samples from an autoencoder?" - not by decoding N(0, I): the AE's codes sit
  wherever training put them (scale and holes arbitrary), so prior samples land off the data.
* "How do the AE and VAE latent spaces differ?" - the KL term packs the VAE's codes into the
  prior's region, without holes, so every prior sample decodes to a digit-like image.

Headless (the default), the pictures are written as PNG files into ``--out`` and the folder is
printed; ``--show`` also opens a pygame window.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Train both models, draw the comparison, return 0."""
    p = argparse.ArgumentParser(prog="python -m demos.ae_vs_vae", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3000, help="training steps of each model (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of both runs (default 0)")
    p.add_argument("--out", default="demo_output/ae_vs_vae", help="folder for the runs and pictures")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps (default auto)")
    p.add_argument("--show", action="store_true", help="also show the picture in a pygame window")
    p.add_argument("--quick", action="store_true", help="a 200-step smoke run")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error(f"--steps must be >= 1, got {args.steps}")
    steps = 200 if args.quick else args.steps

    import torch
    from PIL import Image, ImageDraw

    from generative import TrainConfig, load_dataset, load_run, train
    from generative.plots import PALETTE, font, image_grid, scatter, side_by_side
    from generative.vae import VAEConfig

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("digits")
    assert data.train is not None and data.test_labels is not None and data.train_labels is not None  # digits have them
    x = torch.cat([data.test, data.train])
    y = torch.cat([data.test_labels, data.train_labels]).numpy()
    panels, titles = [], []
    for method in ("ae", "vae"):
        run_dir = out / f"{method}-run"
        t0 = time.perf_counter()
        cfg = TrainConfig(
            dataset="digits",
            steps=steps,
            seed=args.seed,
            out=str(run_dir),
            device=args.device,
            quiet=True,
            sample_every=0,
            checkpoint_every=0,
            eval_at_end=False,
            log_every=100,
        )
        train(method, cfg, VAEConfig(latent_dim=2, hidden=(256, 128)), resume=(run_dir / "checkpoint.pt").exists())
        run = load_run(run_dir, args.device)
        vae: Any = run.method  # the VAE / AE method (its encoder is not on the Method protocol)
        net, dev = vae.net, vae.ctx.device
        with torch.no_grad():
            codes = vae.encode_mean(x.to(dev)).cpu().numpy()
            prior = run.sample(64, seed=args.seed)
            u = np.linspace(-2.5, 2.5, 12)
            zz = torch.tensor([[a, b] for b in u[::-1] for a in u], dtype=torch.float32, device=dev)
            manifold = net.decode_mean(zz).cpu().numpy()
        print(
            f"{method}: {steps} steps in {time.perf_counter() - t0:.1f} s; code spread "
            f"std {codes.std(0).round(2).tolist()}, mean {codes.mean(0).round(2).tolist()}"
        )
        sets = [(codes[y == c], PALETTE[c]) for c in range(10)]
        lim = max(3.0, float(np.percentile(np.abs(codes), 99)) * 1.1)
        latent = scatter(sets, size=480, extent=(-lim, lim, -lim, lim), radius=2)
        draw = ImageDraw.Draw(latent)
        for c in range(10):  # legend: the digits in their colours
            draw.text((8 + 22 * c, 6), str(c), fill=PALETTE[c], font=font())
        prior_img = image_grid(prior, ncol=8, scale=5).convert("RGB")
        manifold_img = image_grid(manifold, ncol=12, scale=3).convert("RGB")
        for name, img in (("latent", latent), ("prior_samples", prior_img), ("latent_grid", manifold_img)):
            img.save(out / f"{method}_{name}.png")
        panels += [latent, prior_img, manifold_img]
        titles += [
            f"{method.upper()}: codes mu(x) by digit (grey lines: axes)",
            f"{method.upper()}: decoded z ~ N(0, I)",
            f"{method.upper()}: decoder on z in [-2.5, 2.5]^2",
        ]
    rows = [side_by_side(panels[:3], titles[:3]), side_by_side(panels[3:], titles[3:])]
    board = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), (255, 255, 255))
    board.paste(rows[0], (0, 0))
    board.paste(rows[1], (0, rows[0].height))
    board.save(out / "ae_vs_vae.png")
    legend = ", ".join(f"{c}={'rgb' + str(PALETTE[c])}" for c in range(10))
    print(f"colours: {legend}")
    print(f"pictures written to {out.resolve()} (ae_vs_vae.png and one file per panel)")
    if args.show:
        _show(out / "ae_vs_vae.png")
    return 0


def _show(path: Path) -> None:
    """Show a PNG in a pygame window until it is closed (no-op without a display)."""
    import pygame

    if os.environ.get("SDL_VIDEODRIVER") == "dummy":
        return
    pygame.init()
    try:
        img = pygame.image.load(str(path))
        screen = pygame.display.set_mode(img.get_size())
        pygame.display.set_caption("AE vs VAE")
        screen.blit(img, (0, 0))
        pygame.display.flip()
        while not any(e.type == pygame.QUIT for e in pygame.event.get()):
            pygame.time.wait(50)
    finally:
        pygame.quit()


if __name__ == "__main__":
    sys.exit(main())
