"""GAN vs VAE: "GANs miss modes, VAEs blur", and the two directions of the KL, as pictures.

Run ``python -m demos.gan_vs_vae --help``. Trains a VAE and a GAN (each with its default
settings) on ``ring8`` and ``grid25`` with the same budget (steps x batch size) and seed, and
writes, into the printed folder:

* ``ring8.png``, ``grid25.png``: data | VAE samples | GAN samples | samples of the same GAN
  without its stabilisers (R1, EMA; ``--no-plain-gan`` skips it), 2,500 points each, with the
  mode-coverage table (modes covered, high-quality share, KL of the mode histogram to
  uniform; :mod:`generative.metrics`) underneath;
* ``digits.png``: 64 VAE samples | 64 GAN samples, with the digit classes covered by 10,000
  samples and the KL of the class histogram to uniform;
* ``kl_directions.png``: the lecture's "implication of the KL divergence" slide: one Gaussian
  fitted to a two-mode density by minimising ``KL(p || q)`` (mode covering, like maximum
  likelihood and the VAE) and ``KL(q || p)`` (mode seeking, like the GAN);
* ``metrics.json``: every number of the tables.

Everything is headless (Pillow); nothing is shown on screen. ``--quick`` trains for a few
hundred steps (a smoke test, not the picture of the lecture).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import positive_int

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["kl_directions_picture", "main", "table_picture"]

DATA_COLOR = (150, 150, 150)
VAE_COLOR = (31, 119, 180)
GAN_COLOR = (214, 39, 40)
PLAIN_GAN_COLOR = (255, 127, 14)


def _train_and_sample(
    method: str, dataset: str, steps: int, seed: int, root: Path, n: int, method_config: Any = None, tag: str = ""
) -> tuple[np.ndarray, float]:
    from generative import TrainConfig, load_run, train

    t0 = time.perf_counter()
    cfg = TrainConfig(
        dataset=dataset,
        steps=steps,
        seed=seed,
        out=str(root / f"{method}{tag}-{dataset}"),
        quiet=True,
        log_every=max(1, steps // 20),
        sample_every=0,
        checkpoint_every=0,
        eval_at_end=False,
    )
    train(method, cfg, method_config)
    x = load_run(cfg.out, device="cpu").sample(n, seed=seed)
    return x, time.perf_counter() - t0


def table_picture(rows: Sequence[Sequence[Any]], width: int) -> Image.Image:
    """A plain text table (first row = header) as a white Pillow image of the given width."""
    from PIL import Image, ImageDraw

    from generative.plots import FONT_SIZE, font

    f, line = font(), FONT_SIZE + 8
    cells = [[f"{v:.3g}" if isinstance(v, float) else str(v) for v in r] for r in rows]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    ncol = max(len(r) for r in cells)
    col_w = [max(probe.textlength(r[c], font=f) if c < len(r) else 0 for r in cells) for c in range(ncol)]
    im = Image.new("RGB", (width, line * len(cells) + 12), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for k, r in enumerate(cells):
        x = 8.0
        for c, text in enumerate(r):
            d.text((x, 6 + line * k), text, fill=(0, 0, 0), font=f)
            x += col_w[c] + 28
    return im


def _stack(top: Image.Image, bottom: Image.Image) -> Image.Image:
    from PIL import Image

    out = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height), (255, 255, 255))
    out.paste(top, (0, 0))
    out.paste(bottom, (0, top.height))
    return out


def kl_directions_picture(
    weights: Sequence[float] = (0.5, 0.5),
    means: Sequence[float] = (-2.0, 2.0),
    stds: Sequence[float] = (0.6, 0.6),
    size: tuple[int, int] = (960, 480),
) -> Image.Image:
    """The two single-Gaussian fits of a 1-D mixture, drawn over its density (Pillow image)."""
    from PIL import Image, ImageDraw

    from generative import theory
    from generative.plots import FONT_SIZE, font

    m_f, s_f = theory.fit_gaussian_forward_kl(weights, means, stds)
    m_r, s_r = theory.fit_gaussian_reverse_kl(weights, means, stds)
    lo, hi = min(means) - 4 * max(stds) - 1, max(means) + 4 * max(stds) + 1
    x = np.linspace(lo, hi, 1200)
    p = theory.gaussian_mixture_1d(x, weights, means, stds)

    def gauss(m: float, s: float) -> np.ndarray:
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    curves = [
        (p, (120, 120, 120), "p_data: two modes"),
        (gauss(m_f, s_f), VAE_COLOR, f"argmin KL(p||q): mu={m_f:.2f}, sigma={s_f:.2f}  (mode covering: ML / VAE)"),
        (gauss(m_r, s_r), GAN_COLOR, f"argmin KL(q||p): mu={m_r:.2f}, sigma={s_r:.2f}  (mode seeking: GAN)"),
    ]
    w, h = size
    line = FONT_SIZE + 6
    top, bottom, left, right = 3 * line + 16, FONT_SIZE + 16, 16, 16
    ymax = max(float(c.max()) for c, _, _ in curves) * 1.08
    im = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.line([(left, h - bottom), (w - right, h - bottom)], fill=(0, 0, 0))

    def px(xs: np.ndarray, ys: np.ndarray) -> list[tuple[float, float]]:
        u = left + (xs - lo) / (hi - lo) * (w - left - right)
        v = h - bottom - ys / ymax * (h - top - bottom)
        return list(zip(u.tolist(), v.tolist()))

    d.polygon(px(x, p) + [(w - right, h - bottom), (left, h - bottom)], fill=(225, 225, 225))
    for k, (c, color, label) in enumerate(curves):
        d.line(px(x, c), fill=color, width=3 if k else 2)
        d.text((left, 6 + line * k), label, fill=color, font=font())
    for m in means:
        u = px(np.array([m]), np.array([0.0]))[0][0]
        d.line([(u, h - bottom), (u, h - bottom + 5)], fill=(0, 0, 0))
        d.text((u - 8, h - bottom + 6), f"{m:g}", fill=(0, 0, 0), font=font())
    return im


def _parser() -> argparse.ArgumentParser:
    """The command-line options."""
    ap = argparse.ArgumentParser(prog="python -m demos.gan_vs_vae", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        default="demo_output/gan_vs_vae",
        help="folder for the PNGs and metrics.json (default demo_output/gan_vs_vae)",
    )
    ap.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help="training steps of each model on ring8/grid25 (default: ring8 15000, grid25 30000, "
        "the benchmark's budgets; batch 100)",
    )
    ap.add_argument("--digits-steps", type=positive_int, default=3000, help="training steps on digits (default 3000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of both models (default 0)")
    ap.add_argument(
        "--datasets",
        nargs="+",
        default=["ring8", "grid25", "digits"],
        choices=["ring8", "grid25", "digits"],
        help="which comparisons to draw (default all)",
    )
    ap.add_argument(
        "--plain-gan",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train the GAN without its stabilisers (R1, EMA) on ring8/grid25 (default: yes)",
    )
    ap.add_argument("--quick", action="store_true", help="a few hundred steps each (smoke test)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Train, measure, draw; print the output folder and the tables."""
    args = _parser().parse_args(argv)
    budget = {"ring8": 15000, "grid25": 30000}
    dsteps = 100 if args.quick else args.digits_steps

    from generative import metrics, plots
    from generative.data import grid_centers, load_dataset, ring_centers
    from generative.gan import GANConfig

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"digits_steps": dsteps, "seed": args.seed, "batch_size": 100}
    with tempfile.TemporaryDirectory(prefix="gan_vs_vae_runs_") as tmp:
        root = Path(tmp)
        for ds in [d for d in args.datasets if d != "digits"]:
            steps = 300 if args.quick else (args.steps or budget[ds])
            data = load_dataset(ds)
            x_data = data.test[: metrics.N_EVAL_SAMPLES].numpy()
            pics: list[Any] = []
            rows: list[list[Any]] = [["", "modes covered", "high quality", "KL(modes || uniform)", "train s"]]
            cov = metrics.dataset_coverage(ds, x_data)
            rows.append(
                ["data", f"{cov.modes_covered}/{cov.n_modes}", f"{100 * cov.high_quality:.1f}%", cov.kl_uniform, ""]
            )
            results[ds] = {"data": cov.as_dict(), "steps": steps}
            extent = (-3.0, 3.0, -3.0, 3.0) if ds == "ring8" else (-6.0, 6.0, -6.0, 6.0)
            centres = ring_centers() if ds == "ring8" else grid_centers()
            pics.append(plots.scatter([(x_data, DATA_COLOR)], extent=extent, markers=centres))
            models: list[tuple[str, Any, Any, str]] = [("vae", None, VAE_COLOR, "VAE"), ("gan", None, GAN_COLOR, "GAN")]
            if args.plain_gan:
                models.append(("gan", GANConfig(r1=0.0, ema=0.0), PLAIN_GAN_COLOR, "GAN, no R1/EMA"))
            for k, (method, cfg, color, label) in enumerate(models):
                x, secs = _train_and_sample(method, ds, steps, args.seed, root, metrics.N_EVAL_SAMPLES, cfg, f"-{k}")
                cov = metrics.dataset_coverage(ds, x)
                rows.append(
                    [
                        label,
                        f"{cov.modes_covered}/{cov.n_modes}",
                        f"{100 * cov.high_quality:.1f}%",
                        cov.kl_uniform,
                        f"{secs:.0f}",
                    ]
                )
                results[ds][label] = {**cov.as_dict(), "train_seconds": secs}
                pics.append(plots.scatter([(x_data, (225, 225, 225)), (x, color)], extent=extent, markers=centres))
            img = plots.side_by_side(pics, [f"{ds}: data"] + [f"{m[3]} samples ({steps} steps)" for m in models])
            _stack(img, table_picture(rows, img.width)).save(out / f"{ds}.png")
            print(f"\n{ds}:")
            for r in rows:
                print("  " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r))
        if "digits" in args.datasets:
            clf = metrics.digit_classifier()
            grids: list[Any] = []
            rows = [["", "classes covered (10,000 samples)", "KL(classes || uniform)", "train s"]]
            results["digits"] = {"classifier_test_accuracy": clf.test_accuracy}
            # the MLP GAN on flat images: wider layers than the 2-D default
            for method, cfg in (("vae", None), ("gan", GANConfig(hidden=(256, 256), latent_dim=32, r1=0.1))):
                x, secs = _train_and_sample(method, "digits", dsteps, args.seed, root, 10_000, cfg)
                x = np.clip(x, 0.0, 1.0)
                cov = metrics.digit_coverage(x, clf)
                rows.append([method.upper(), f"{cov.modes_covered}/10", cov.kl_uniform, f"{secs:.0f}"])
                results["digits"][method.upper()] = {**cov.as_dict(), "train_seconds": secs}
                grids.append(plots.image_grid(x[:64], ncol=8, scale=5))
            img = plots.side_by_side(grids, [f"VAE samples ({dsteps} steps)", f"GAN samples ({dsteps} steps)"])
            _stack(img, table_picture(rows, max(img.width, 420))).save(out / "digits.png")
            print("\ndigits:")
            for r in rows:
                print("  " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r))
    kl_directions_picture().save(out / "kl_directions.png")
    (out / "metrics.json").write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(f"\nwrote {', '.join(sorted(p.name for p in out.glob('*.png')))} and metrics.json to {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
