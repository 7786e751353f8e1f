"""What the generative run folder's safety costs: checkpoint checksums, and bounded IDX reads.

1. **Checkpoints.**  For VAEs of growing size on ``digits``: the seconds to compute the SHA-256
   over every tensor (:func:`generative._checkpoint.checksum`), to save atomically (serialise,
   checksum, write, ``fsync``, rename) and to load with verification (checksum, entries, finite
   weights), against a plain ``torch.load`` of the same file.
2. **IDX files.**  Peak Python memory (``tracemalloc``) and time to read (a) an MNIST-sized gzip
   IDX file (60,000 x 28 x 28 random bytes; 6,000 with ``--quick``) and (b) a "gzip bomb" whose header declares 7,840
   bytes followed by 256 MB of zeros (32 MB with ``--quick``): header-first bounded reading
   (:func:`generative.data.read_idx`) against decompressing the whole file first (what
   ``read_idx`` did before: ``gzip.decompress(path.read_bytes())``, then the header, then a copy).

``python -m benchmarks.generative_integrity [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import gzip
import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._common import alternate, markdown_table, write_results

__all__ = ["main"]


def _peak(fn: Callable[[], Any]) -> tuple[float, float, str]:
    """(seconds, peak MB of Python allocations, outcome) of one call of ``fn``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        fn()
        outcome = "read"
    except ValueError as exc:
        outcome = "refused: " + str(exc).split(": ", 1)[-1][:60]
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, outcome


def _read_whole(path: Path) -> np.ndarray:
    """The former ``read_idx``: decompress everything, then look at the header."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    n = int(np.prod(dims))
    return np.frombuffer(raw, dtype=">u1", count=n, offset=4 + 4 * ndim).reshape(dims).astype(np.uint8)


def _idx_rows(folder: Path, bomb_mb: int, images: int) -> list[dict[str, Any]]:
    from generative.data import read_idx, write_idx

    mnist = folder / "train-images-idx3-ubyte.gz"
    write_idx(mnist, np.random.default_rng(0).integers(0, 256, (images, 28, 28), dtype=np.uint8))
    bomb = folder / "bomb-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        f.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10, 28, 28) + bytes(7840))
        for _ in range(bomb_mb):
            f.write(bytes(1 << 20))
    rows = []
    for name, path in ((f"{images:,} x 28 x 28", mnist), (f"bomb ({bomb_mb} MB of zeros)", bomb)):
        for how, fn in (
            ("header-first, bounded", lambda p=path: read_idx(p)),
            ("decompress whole first", lambda p=path: _read_whole(p)),
        ):
            s, mb, outcome = _peak(fn)
            rows.append({"file": name, "gzip MB": path.stat().st_size / 1e6, "reader": how, "seconds": s,
                         "peak MB": mb, "outcome": outcome})  # fmt: skip
    return rows


def _checkpoint_rows(folder: Path, widths: Sequence[int], repeats: int) -> list[dict[str, Any]]:
    import torch

    from generative import TrainConfig, train
    from generative._checkpoint import checksum, load_checkpoint, save_checkpoint_atomic
    from generative.vae import VAEConfig

    rows = []
    for w in widths:
        out = folder / f"vae-{w}"
        cfg = TrainConfig(dataset="digits", steps=1, out=str(out), quiet=True, sample_every=0, eval_at_end=False)
        train("vae", cfg, VAEConfig(hidden=(w, w)))
        path = out / "checkpoint.pt"
        ck = torch.load(path, weights_only=True)
        n = sum(t.numel() for t in ck["modules"]["net"].values())
        m = alternate(
            {
                "checksum": lambda ck=ck: checksum(ck),
                "save (atomic, with checksum)": lambda ck=ck, out=out: save_checkpoint_atomic(ck, out / "again.pt"),
                "load, verified": lambda path=path: load_checkpoint(path),
                "torch.load only": lambda path=path: torch.load(path, weights_only=True),
            },
            repeats=repeats,
        )
        plain = m["torch.load only"].median
        row = {"hidden": f"({w}, {w})", "parameters": n, "file MB": path.stat().st_size / 1e6}
        row.update({f"{k} s": v.median for k, v in m.items()})
        row["verified / plain load"] = m["load, verified"].median / plain
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; write ``generative_integrity.json`` and ``.md`` under ``--out``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.generative_integrity", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small models, 6,000 images, a 32 MB bomb, 3 repeats")
    p.add_argument("--out", default="bench_results", help="output folder (default bench_results)")
    args = p.parse_args(argv)
    widths = (64, 256) if args.quick else (256, 1024, 4096)
    with tempfile.TemporaryDirectory() as tmp:
        ck_rows = _checkpoint_rows(Path(tmp), widths, 3 if args.quick else 7)
        idx_rows = _idx_rows(Path(tmp), 32 if args.quick else 256, 6_000 if args.quick else 60_000)
    path = write_results("generative_integrity", ck_rows, args.out, extra={"idx": idx_rows, "quick": args.quick})
    md = path.with_suffix(".md")
    md.write_text(
        md.read_text() + "\nIDX reads (peak = Python allocations, tracemalloc):\n\n" + markdown_table(idx_rows) + "\n"
    )
    return path


if __name__ == "__main__":
    main()
