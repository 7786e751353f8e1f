"""The GPU path of ``generative``: VAE and GAN in fp32 and bf16, eager and compiled, against the CPU.

On a CUDA machine, from the project root (one prepared command, a few minutes)::

    PYTHONPATH=. python3 benchmarks/generative_gpu.py            # --out bench_results

It needs only torch, numpy, scikit-learn, tqdm and Pillow (no gymnasium, pygame or numba).
For each model (the default VAE on ``digits-binary``, the default GAN on ``ring8``, each with
its CLI budget (VAE 4,500 steps at M = 100, GAN 18,000 at m = 250) unless ``--vae-steps``/``--gan-steps`` say otherwise) it trains:

* the CPU reference (fp32, eager, this process's torch threads);
* on the device: fp32 and bf16 autocast, each eager and under ``torch.compile``;

and reports per run the training examples/s (whole run through :func:`generative.train`,
evaluation excluded), its ratio to the CPU run, prior samples/s (batches of 10,000), and the
evaluation figure (VAE: test ELBO and IWAE(k=1000) in nats; GAN: modes covered and the
high-quality share of 2,500 samples) with its difference to the CPU run. The devices draw
different random numbers, so a device run is a different seed, not the same numbers: a
figure "matches" when the difference is within :data:`TOLERANCE` (seed-to-seed noise
measured on the CPU: VAE ELBO about 0.2 nats across seeds, GAN high-quality share about 1
point; bf16 gets a wider band). Then it checks resume on the device (half the steps, then
``resume=True`` to the end, against an uninterrupted run: the logged losses after the
resume point and the figures) and, with two or more GPUs, a ``torchrun --nproc_per_node 2``
(NCCL) VAE run. Losses stay on the device between logging intervals (``--log-every``), so a
step does not wait for the host.

Writes ``<out>/generative_gpu.json`` (every row, each written as soon as it is measured, so a
run cut short keeps what it had) and ``.md``, prints the table, and exits 1 when a check
fails. ``--device cpu --quick`` runs everything on the CPU with tiny budgets (the smoke test;
then only the checks that hold at any budget are judged: the same-device fp32 run repeats the
reference exactly, and resume continues it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python3 benchmarks/generative_gpu.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks._common import markdown_table, write_results
from generative.train import TrainConfig, load_run, train

#: Allowed |device - CPU| per figure and precision (seed-to-seed noise on the CPU, plus margin).
TOLERANCE = {
    ("vae", "fp32"): {"test_elbo": 0.6, "test_iwae": 0.6},
    ("vae", "bf16"): {"test_elbo": 1.0, "test_iwae": 1.0},
    ("gan", "fp32"): {"modes_covered": 0, "high_quality": 0.03},
    ("gan", "bf16"): {"modes_covered": 0, "high_quality": 0.06},
}
#: model -> (method, dataset, default steps, minibatch): the CLI's default budgets
MODELS = {"vae": ("vae", "digits-binary", 4500, 100), "gan": ("gan", "ring8", 18_000, 250)}


#: Method options per model in --quick mode (a cheap evaluation).
QUICK = {"vae": {"iwae_k": 20}, "gan": {}}


def _config(model: str, quick: bool) -> Any:
    from generative.train import get_method

    return get_method(MODELS[model][0]).Config(**(QUICK[model] if quick else {}))


def _train(model: str, steps: int, device: str, precision: str, compile_: bool, out: Path, **kw: Any) -> dict:
    method, dataset, _, batch = MODELS[model]
    mcfg = kw.pop("method_config")
    backend = "inductor" if device.startswith("cuda") else "aot_eager"  # no C++ toolchain needed on a CPU
    cfg = TrainConfig(
        dataset=dataset,
        steps=steps,
        batch_size=batch,
        device=device,
        precision=precision,  # type: ignore[arg-type]  # "fp32" or "bf16", checked by TrainConfig
        compile=compile_,
        compile_backend=backend,
        out=str(out),
        quiet=True,
        log_every=kw.pop("log_every", 50),
        sample_every=0,
        checkpoint_every=0,
        **kw,
    )
    t0 = time.perf_counter()
    res = train(method, cfg, mcfg)
    wall = time.perf_counter() - t0
    lines = [json.loads(s) for s in (out / "metrics.jsonl").read_text().splitlines()]
    train_s = lines[-1]["time"] if lines else wall
    return {"result": res, "wall_s": wall, "train_s": train_s, "metrics": lines}


def _sample_rate(run_dir: Path, device: str, n: int = 10_000, repeats: int = 5) -> float:
    """Prior samples per second of a trained run (best of ``repeats`` batches of ``n``)."""
    run = load_run(run_dir, device)
    g = torch.Generator(run.method.ctx.device).manual_seed(0)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.no_grad():
        run.method.sample(n, g)  # warm-up (compilation, allocator)
        sync()
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            run.method.sample(n, g)
            sync()
            best = min(best, time.perf_counter() - t0)
    return n / best


def _figures(model: str, ev: dict) -> dict[str, float]:
    keys = ("test_elbo", "test_iwae") if model == "vae" else ("modes_covered", "high_quality")
    return {k: float(ev[k]) for k in keys}


def _compare(model: str, precision: str, figs: dict, ref: dict, judged: bool) -> tuple[str, dict]:
    tol = TOLERANCE[(model, precision)]
    diff = {k: figs[k] - ref[k] for k in figs}
    if not judged:
        return "not judged (--quick)", diff
    ok = all(abs(diff[k]) <= tol[k] + 1e-12 for k in diff)
    return ("yes" if ok else "NO"), diff


def _check_resume(model: str, steps: int, device: str, root: Path, mcfg: Any) -> dict:
    """Half the steps, resume to the end; against an uninterrupted run on the same device."""
    method, dataset, _, batch = MODELS[model]
    half = max(1, steps // 2)
    base: dict[str, Any] = dict(
        dataset=dataset, batch_size=batch, device=device, quiet=True, log_every=max(1, half // 5), sample_every=0
    )
    full = train(method, TrainConfig(steps=steps, out=str(root / "full"), checkpoint_every=0, **base), mcfg)
    train(method, TrainConfig(steps=half, out=str(root / "split"), checkpoint_every=0, **base), mcfg)
    resumed = train(method, TrainConfig(steps=steps, out=str(root / "split"), **base), mcfg, resume=True)
    read = [[json.loads(s) for s in (root / d / "metrics.jsonl").read_text().splitlines()] for d in ("full", "split")]
    after = [(a, b) for a, b in zip(*read) if a["step"] > half]
    keys = [k for k in after[0][0] if k not in ("step", "epoch", "time", "samples_per_s")] if after else []
    rel = max((abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for a, b in after for k in keys), default=0.0)
    identical = all(a[k] == b[k] for a, b in after for k in keys)
    figs_full, figs_res = _figures(model, full.evaluation), _figures(model, resumed.evaluation)
    return {
        "steps": f"{half} + {steps - half}",
        "resumed_step": resumed.step,
        "logged_steps_compared": len(after),
        "losses_identical": identical,
        "max_rel_loss_diff": rel,
        "figures_full": figs_full,
        "figures_resumed": figs_res,
    }


def _torchrun(steps: int, root: Path) -> dict:
    """A 2-process NCCL VAE run through the CLI; its evaluation and world size."""
    out = root / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "generative", "train", "vae", "--dataset", "digits-binary", "--device", "cuda"]
    cmd += ["--steps", str(steps), "--out", str(out), "--quiet", "--sample-every", "0"]
    env = dict(
        os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    res: dict[str, Any] = {"rc": proc.returncode, "wall_s": time.perf_counter() - t0}
    if proc.returncode == 0:
        cfg = json.loads((out / "config.json").read_text())
        res.update(world_size=cfg["world_size"], **_figures("vae", json.loads((out / "eval.json").read_text())))
    else:
        res["stderr_tail"] = proc.stderr[-2000:]
    return res


def _row(model: str, device: str, precision: str, compile_: bool, steps: int, run: dict, rate: float) -> dict:
    method, dataset, _, batch = MODELS[model]
    return {
        "model": f"{method} {dataset}",
        "device": device,
        "precision": precision,
        "compile": compile_,
        "steps": steps,
        "train_s": run["train_s"],
        "train_examples_per_s": steps * batch / max(run["train_s"], 1e-9),
        "samples_per_s": rate,
        **_figures(model, run["result"].evaluation),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the checks; write ``<out>/generative_gpu.{json,md}``; 0 when every judged check passes."""
    p = argparse.ArgumentParser(prog="python3 benchmarks/generative_gpu.py", description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="device under test")
    p.add_argument("--quick", action="store_true", help="tiny budgets (smoke test; figures not judged)")
    p.add_argument("--out", default="bench_results", help="output folder (default bench_results)")
    p.add_argument("--vae-steps", type=int, default=None, help="VAE budget (default: the CLI's, 4,500 steps)")
    p.add_argument("--gan-steps", type=int, default=None, help="GAN budget (default: the CLI's, 18,000 steps)")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile runs")
    args = p.parse_args(argv)
    steps = {
        "vae": args.vae_steps or (20 if args.quick else MODELS["vae"][2]),
        "gan": args.gan_steps or (20 if args.quick else MODELS["gan"][2]),
    }
    judged = not args.quick
    rows: list[dict] = []
    extra: dict[str, Any] = {
        "device_name": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0,
        "steps": steps,
        "tolerance": {f"{m} {pr}": t for (m, pr), t in TOLERANCE.items()},
        "checks": [],
    }
    failed = False

    def rate(run_dir: Path, device: str) -> float:
        return _sample_rate(run_dir, device, 1000, 2) if args.quick else _sample_rate(run_dir, device)

    def save() -> None:
        write_results("generative_gpu", rows, args.out, extra=extra)

    with tempfile.TemporaryDirectory(prefix="bench_gpu_") as tmp:
        root = Path(tmp)
        for model in MODELS:
            n, mcfg = steps[model], _config(model, args.quick)
            ref_run = _train(model, n, "cpu", "fp32", False, root / f"{model}-cpu", method_config=mcfg)
            ref = _row(model, "cpu", "fp32", False, n, ref_run, rate(root / f"{model}-cpu", "cpu"))
            ref_figs = _figures(model, ref_run["result"].evaluation)
            rows.append({**ref, "x cpu": 1.0, "matches cpu": "reference"})
            save()
            print(f"{model}: cpu reference {ref_figs}", flush=True)
            variants = [(pr, c) for c in (False, True) for pr in ("fp32", "bf16") if not (c and args.no_compile)]
            for precision, compile_ in variants:
                folder = root / f"{model}-{precision}-{'compiled' if compile_ else 'eager'}"
                run = _train(model, n, args.device, precision, compile_, folder, method_config=mcfg)
                row = _row(model, args.device, precision, compile_, n, run, rate(folder, args.device))
                figs = _figures(model, run["result"].evaluation)
                same = args.device == "cpu" and precision == "fp32" and not compile_
                if same:  # the very same computation: must repeat the reference exactly
                    verdict = "yes (identical)" if figs == ref_figs else "NO (not identical)"
                    diff = {k: figs[k] - ref_figs[k] for k in figs}
                else:
                    verdict, diff = _compare(model, precision, figs, ref_figs, judged)
                failed |= verdict.startswith("NO")
                row.update({"x cpu": row["train_examples_per_s"] / ref["train_examples_per_s"], "matches cpu": verdict})
                row.update({f"diff {k}": v for k, v in diff.items()})
                rows.append(row)
                save()
                print(f"{model}: {args.device} {precision} compile={compile_}: {figs} -> {verdict}", flush=True)
            res = _check_resume(model, n, args.device, root / f"{model}-resume", mcfg)
            cpu_exact = args.device == "cpu"
            ok = res["resumed_step"] == n and res["logged_steps_compared"] > 0
            ok = ok and (res["losses_identical"] if cpu_exact else res["max_rel_loss_diff"] < 0.05)
            failed |= not ok
            extra["checks"].append({"check": f"resume {model}", "ok": ok, **res})
            save()
            print(f"{model}: resume {res} -> {'ok' if ok else 'FAILED'}", flush=True)
        if extra["gpus"] >= 2 and args.device.startswith("cuda"):
            ddp = _torchrun(steps["vae"], root)
            ok = ddp["rc"] == 0 and ddp.get("world_size") == 2
            if ok and judged:
                ref_vae = next(r for r in rows if r["model"].startswith("vae") and r["device"] == "cpu")
                ok = abs(ddp["test_elbo"] - ref_vae["test_elbo"]) <= 2 * TOLERANCE[("vae", "fp32")]["test_elbo"]
            failed |= not ok
            extra["checks"].append({"check": "torchrun --nproc_per_node 2 (nccl), vae", "ok": ok, **ddp})
        else:
            extra["checks"].append(
                {"check": "torchrun --nproc_per_node 2 (nccl)", "ok": None, "skipped": "fewer than 2 GPUs"}
            )
        save()
    cols = ["model", "device", "precision", "compile", "steps", "train_examples_per_s", "x cpu", "samples_per_s"]
    cols += ["test_elbo", "test_iwae", "modes_covered", "high_quality", "matches cpu"]
    table = markdown_table(rows, cols)
    print(table)
    for c in extra["checks"]:
        print(f"{c['check']}: {'skipped' if c['ok'] is None else ('ok' if c['ok'] else 'FAILED')}")
    md = Path(args.out) / "generative_gpu.md"
    md.write_text(md.read_text() + "\nChecks:\n\n" + markdown_table(extra["checks"], ["check", "ok"]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
