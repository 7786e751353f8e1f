"""GAN quality figures: mode coverage on ring8 and grid25 with the DEFAULT settings, and CPU time.

Run ``python -m benchmarks.generative_gan [--quick] [--out DIR] [--seeds N] [--threads N]``.

For each dataset and seed, ``python -m generative train gan`` with every GAN option at its
default (MLP 128-128-128, latent 16, Adam lr 1e-3, betas (0, 0.99), R1 gamma 1, EMA 0.99,
non-saturating loss, k = 1, minibatch m = 100) runs for a fixed number of steps; then 2,500
samples of the EMA generator are scored as in VEEGAN / PacGAN (:mod:`generative.metrics`):
modes covered (a mode is covered when at least one sample lies within 3 std of it and nearer to
it than to any other centre), the share of such high-quality samples, and the KL of their mode
histogram to uniform. CPU time is the process's (all threads); with the default one thread it
equals wall time on an idle machine. ``--ablation`` adds the same runs with no stabiliser
(``--r1 0 --ema 0``), the plain GAN of the papers' tables.

Targets (issue 6): ring8 8/8 modes and >= 90% high quality; grid25 25/25 and >= 80%; each
within 5 minutes of CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmarks._common import write_results
from generative import TrainConfig, train
from generative.gan import GANConfig

#: (dataset, default steps, target modes, target high-quality share)
TARGETS = {"ring8": (15_000, 8, 0.90), "grid25": (30_000, 25, 0.80)}
CPU_LIMIT_S = 300.0


def one_run(dataset: str, steps: int, seed: int, root: Path, config: GANConfig) -> dict:
    """Train one GAN; its evaluation (2,500 samples), CPU and wall seconds, training throughput."""
    out = root / f"{dataset}-{seed}-{config.r1}-{config.ema}"
    cpu0, wall0 = time.process_time(), time.perf_counter()
    res = train("gan", TrainConfig(dataset=dataset, steps=steps, seed=seed, out=str(out), quiet=True,
                                   log_every=max(1, steps // 10), sample_every=0, checkpoint_every=0), config)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    ev = res.evaluation
    return {"dataset": dataset, "config": "default" if config == GANConfig() else "no R1, no EMA",
            "seed": seed, "steps": steps, "modes": f"{ev['modes_covered']}/{ev['n_modes']}",
            "modes_covered": ev["modes_covered"], "high_quality": ev["high_quality"],
            "kl_uniform": ev["kl_uniform"], "cpu_s": cpu, "wall_s": wall,
            "train_examples_per_s": steps * 100 / wall}


def main(argv: list[str] | None = None) -> int:
    """Run the figures and write ``<out>/generative_gan.{json,md}``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.generative_gan", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budget, one seed (smoke test)")
    p.add_argument("--out", default="bench_results", help="output folder (default bench_results)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per dataset (default 3)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--datasets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    p.add_argument("--ring-steps", type=int, default=TARGETS["ring8"][0], help="ring8 budget in steps")
    p.add_argument("--grid-steps", type=int, default=TARGETS["grid25"][0], help="grid25 budget in steps")
    p.add_argument("--ablation", action="store_true", help="also run without R1 and EMA (one seed)")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.threads < 1:
        p.error(f"--seeds and --threads must be >= 1, got {args.seeds} and {args.threads}")
    torch.set_num_threads(args.threads)
    steps = {"ring8": args.ring_steps, "grid25": args.grid_steps}
    seeds = [0] if args.quick else list(range(args.seeds))
    rows, summary = [], []
    with tempfile.TemporaryDirectory(prefix="bench_gan_") as tmp:
        for ds in args.datasets:
            n = 50 if args.quick else steps[ds]
            runs = [one_run(ds, n, s, Path(tmp), GANConfig()) for s in seeds]
            if args.ablation and not args.quick:
                runs.append(one_run(ds, n, 0, Path(tmp), GANConfig(r1=0.0, ema=0.0)))
            rows += runs
            default = [r for r in runs if r["config"] == "default"]
            _, modes, hq = TARGETS[ds]
            ok = all(r["modes_covered"] == modes and r["high_quality"] >= hq and r["cpu_s"] <= CPU_LIMIT_S
                     for r in default)
            summary.append({"dataset": ds, "seeds": len(default), "steps": n,
                            "modes (min over seeds)": f"{min(r['modes_covered'] for r in default)}/{modes}",
                            "high_quality mean": statistics.mean(r["high_quality"] for r in default),
                            "high_quality min": min(r["high_quality"] for r in default),
                            "kl_uniform mean": statistics.mean(r["kl_uniform"] for r in default),
                            "cpu_s max": max(r["cpu_s"] for r in default),
                            "target": f"{modes}/{modes}, >= {hq:.0%}, <= {CPU_LIMIT_S:.0f} s CPU",
                            "met": "yes" if ok else "no"})
            for r in runs:
                print(f"{ds} seed {r['seed']} ({r['config']}): {r['modes']} modes, "
                      f"{100 * r['high_quality']:.1f}% high quality, KL {r['kl_uniform']:.4f}, "
                      f"{r['cpu_s']:.0f} s CPU", flush=True)
    cols = ["dataset", "config", "seed", "steps", "modes", "high_quality", "kl_uniform", "cpu_s", "wall_s",
            "train_examples_per_s"]
    path = write_results("generative_gan", rows, args.out, extra={"summary": summary, "threads": args.threads},
                         columns=cols)
    from benchmarks._common import markdown_table  # noqa: PLC0415

    md = path.with_suffix(".md")
    md.write_text(md.read_text() + "\nSummary (default settings):\n\n" + markdown_table(summary) + "\n")
    print(markdown_table(summary))
    print(f"wrote {path} and {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
