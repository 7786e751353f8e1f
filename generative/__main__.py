"""Command line of the generative trainers.

::

    python -m generative train vae --dataset digits --epochs 100 --out runs/vae-digits
    python -m generative train vae --out runs/vae-digits --resume --epochs 200
    python -m generative sample --checkpoint runs/vae-digits --n 1000 --out samples.npz
    python -m generative eval --checkpoint runs/vae-digits --set iwae_k=5000
    torchrun --nproc_per_node 2 -m generative train vae --dataset digits --device cpu

Every option of ``train`` comes from the fields of :class:`generative.train.TrainConfig` and of
the method's config dataclass; ``python -m generative train <method> --help`` lists them, with
the method's default budget per built-in dataset: when neither ``--steps`` nor ``--epochs`` is
given (and not resuming), ``train`` trains that budget (:func:`default_budget`); other data gets
``TrainConfig``'s 10 epochs; a budget may carry method options tuned for its dataset
(:func:`default_options`, e.g. the GAN's lazy R1 on ``grid25``), used unless given explicitly.
``--preset NAME`` (e.g. ``train vae --preset iwae-mnist``) sets a
published protocol's options; options given on the command line override it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from generative._checks import check_seed
from generative._config import add_dataclass_arguments, given_fields
from generative._runfolder import dumps, write_json
from generative.data import DataError, load_dataset
from generative.train import (
    NonFiniteLossError,
    TrainConfig,
    TrainingInterrupted,
    available_methods,
    get_method,
    load_run,
    picture_kind,
    sample_picture,
    train,
)

__all__ = ["build_parser", "default_budget", "default_options", "main"]


def default_budget(method: str, dataset: str) -> dict[str, float]:
    """The default budget of ``method`` on a built-in ``dataset``: ``{"steps": n}`` or ``{"epochs": e}`` (+ ``batch_size``).

    From the method class's ``budgets`` table (dataset name without its ``:parameters``); ``{}``
    (TrainConfig's 10 epochs) for other data. From Python:
    ``TrainConfig(dataset="ring8", **default_budget("gan", "ring8"))``.
    """
    table = getattr(get_method(method), "budgets", {})
    entry = table.get(dataset.partition(":")[0], {})
    return {k: v for k, v in entry.items() if k in ("steps", "epochs", "batch_size")}


def default_options(method: str, dataset: str) -> dict[str, Any]:
    """The method options tuned for a built-in ``dataset`` (its budget's ``"options"``; ``{}`` if none).

    ``train`` applies them to a new run on that dataset (with or without ``--steps``) unless
    the option is given explicitly; a resumed run keeps its checkpoint's options. From Python:
    ``GANConfig(**default_options("gan", "grid25"))``.
    """
    table = getattr(get_method(method), "budgets", {})
    return dict(table.get(dataset.partition(":")[0], {}).get("options", {}))


def _budget_help(cls: Any) -> str:
    table = getattr(cls, "budgets", {})
    if not table:
        return ""
    lines = [
        "default budgets (used when neither --steps nor --epochs is given; CPU seconds of the whole run,",
        "one torch thread, AMD EPYC of the reference machine):",
        f"  {'dataset':<15}{'budget':<22}{'CPU time':<10}what it gives",
    ]
    for name, b in table.items():
        budget = f"{b['steps']:,} steps" if "steps" in b else f"{b['epochs']:g} epochs"
        budget += f", m={b['batch_size']}" if "batch_size" in b else ""
        lines.append(f"  {name:<15}{budget:<22}{'~' + str(round(b['cpu_s'])) + ' s':<10}{b['gives']}")
        if b.get("options"):
            opts = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in b["options"].items())
            lines.append(f"  {'':<15}with {opts} (the dataset's defaults; explicit options override them)")
    presets = getattr(cls, "presets", {})
    if presets:
        lines += ["", "presets (--preset NAME; options given explicitly override them):"]
        lines += [f"  {name}: {p['help']}" for name, p in presets.items()]
    return "\n".join(lines)


def _parse_set(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
        if isinstance(out[key], list):
            out[key] = tuple(out[key])
    return out


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m generative`` argument parser (sub-commands train/sample/eval)."""
    p = argparse.ArgumentParser(
        prog="python -m generative",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("::")[1],
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,sample,eval}")

    tr = sub.add_parser("train", help="train a method (one run folder per run)")
    tsub = tr.add_subparsers(dest="method", required=True, metavar="METHOD")
    for name in available_methods():
        cls = get_method(name)
        mp = tsub.add_parser(
            name,
            help=(cls.__doc__ or name).strip().splitlines()[0],
            description=(cls.__doc__ or "").strip(),
            epilog=_budget_help(cls),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_dataclass_arguments(mp.add_argument_group("training options"), TrainConfig)
        add_dataclass_arguments(mp.add_argument_group(f"{name} options"), cls.Config)
        if getattr(cls, "presets", {}):
            mp.add_argument(
                "--preset",
                choices=sorted(getattr(cls, "presets", {})),
                default=None,
                help="a published protocol's options (see below); explicit options override it",
            )
        mp.add_argument(
            "--resume",
            action="store_true",
            help="continue the run in --out from its checkpoint; options given are applied, except --dataset, "
            "--seed and the method's options, which the checkpoint fixes (an error if they differ)",
        )

    sp = sub.add_parser("sample", help="draw samples from a trained run into a .npy, .npz or .png file")
    sp.add_argument("--checkpoint", required=True, help="run folder (its latest checkpoint) or checkpoint file")
    sp.add_argument("--n", type=int, default=1000, help="number of samples (default 1000)")
    sp.add_argument(
        "--out",
        default="samples.npy",
        help="output file, format by extension: .npy (the array), .npz (the array as 'x'), .png (a picture of "
        "the first samples); for .npy/.npz a .png beside it shows them too (default samples.npy)",
    )
    sp.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    sp.add_argument("--device", default="auto", help="device (default auto)")

    ev = sub.add_parser("eval", help="evaluate a trained run on its test set (writes eval.json beside it)")
    ev.add_argument("--checkpoint", required=True, help="run folder (its latest checkpoint) or checkpoint file")
    ev.add_argument("--dataset", default=None, help="evaluate on this dataset instead of the run's")
    ev.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a method option for evaluation, e.g. --set iwae_k=5000",
    )
    ev.add_argument("--seed", type=int, default=0, help="seed of the evaluation noise (default 0)")
    ev.add_argument("--device", default="auto", help="device (default auto)")
    ev.add_argument("--out", default=None, help="JSON output (default <run folder>/eval.json)")
    return p


def _configs(args: argparse.Namespace) -> tuple[TrainConfig, Any]:
    """The run's configs from parsed ``train`` arguments: the dataset's budget and options, the preset, explicit options."""
    cls = get_method(args.method)
    preset = getattr(cls, "presets", {})[args.preset] if getattr(args, "preset", None) else {"train": {}, "method": {}}
    tfields = {**preset["train"], **given_fields(TrainConfig, args)}
    if not args.resume and "steps" not in tfields and "epochs" not in tfields:
        budget = default_budget(args.method, tfields.get("dataset", TrainConfig.dataset))
        tfields.update({k: v for k, v in budget.items() if k not in tfields})
    tcfg = TrainConfig(**tfields)
    tuned = {} if args.resume else default_options(args.method, tcfg.dataset)
    mcfg = cls.Config(**{**tuned, **preset["method"], **given_fields(cls.Config, args)})
    return tcfg, mcfg


def _train(args: argparse.Namespace) -> int:
    tcfg, mcfg = _configs(args)
    try:
        res = train(args.method, tcfg, mcfg, resume=args.resume)
    except TrainingInterrupted as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 128 + (exc.signum or 2)
    if not tcfg.quiet and res.run_dir is not None:
        print(f"run folder: {res.run_dir}")
    return 0


_SAMPLE_FORMATS = (".npy", ".npz", ".png")


def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in _SAMPLE_FORMATS:
        raise ValueError(f"--out {out}: unknown format {kind or '(no extension)'!r}; use .npy, .npz or .png")
    check_seed(args.seed, "--seed")
    run = load_run(args.checkpoint, args.device)
    if kind == ".png" and not picture_kind(run.info):
        raise ValueError(f"samples of shape {run.info.shape} have no picture; use --out with .npy or .npz")
    x = run.sample(args.n, seed=args.seed)
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"the model of {run.path} produced non-finite samples; nothing was written")
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind != ".png":
        with open(out, "wb") as fh:  # a file object: NumPy appends no second extension
            if kind == ".npy":
                np.save(fh, x)
            else:
                np.savez(fh, x=x)
        print(f"wrote {x.shape} {x.dtype} samples to {out}")
    if picture_kind(run.info):
        import torch

        png = out if kind == ".png" else out.with_suffix(".png")
        model_space = torch.from_numpy((x.astype(np.float32) - run.info.offset) / run.info.scale)
        sample_picture(model_space, run.info).save(png)
        print(f"{'and a' if kind != '.png' else 'wrote a'} picture of {len(x)} samples to {png}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    import torch

    check_seed(args.seed, "--seed")
    run = load_run(args.checkpoint, args.device, overrides=_parse_set(args.set))
    data = load_dataset(args.dataset) if args.dataset else run.dataset()
    if data.info.shape != run.info.shape:
        raise DataError(f"dataset {data.info.name!r} has example shape {data.info.shape}, the model {run.info.shape}")
    g = torch.Generator(run.method.ctx.device).manual_seed(args.seed)
    with torch.no_grad():
        result = {"checkpoint": str(run.path), "step": run.step, **run.method.evaluate(data, g)}
        figs = run.method.figures(data, torch.Generator(run.method.ctx.device).manual_seed(args.seed))
    out = Path(args.out) if args.out else run.run_dir / "eval.json"
    write_json(out, result)
    fig_dir = out.parent / "eval"
    fig_dir.mkdir(exist_ok=True)
    for name, img in figs.items():
        img.save(fig_dir / f"{name}.png")
    print(dumps(result))
    print(f"wrote {out} and pictures in {fig_dir}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m generative``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return {"train": _train, "sample": _sample, "eval": _eval}[args.command](args)
    except NonFiniteLossError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        parser.exit(2, f"error: {exc}\n")
    except OSError as exc:  # e.g. a full disk or a read-only folder for sample/eval output
        parser.exit(2, f"error: cannot write {exc.filename or ''}: {exc.strerror or exc}\n")


if __name__ == "__main__":
    sys.exit(main())
