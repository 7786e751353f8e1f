"""demos/gan_vs_vae: writes its pictures and a metrics file headlessly (smoke test with --quick)."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from demos import gan_vs_vae


def test_quick_demo_writes_pictures_and_metrics(tmp_path, capsys):
    out = tmp_path / "demo"
    assert gan_vs_vae.main(["--quick", "--datasets", "ring8", "--out", str(out)]) == 0
    assert str(out.resolve()) in capsys.readouterr().out  # the folder is printed
    assert {p.name for p in out.glob("*.png")} == {"ring8.png", "kl_directions.png"}
    m = json.loads((out / "metrics.json").read_text())
    assert m["ring8"]["data"]["modes_covered"] == 8
    for label in ("VAE", "GAN", "GAN, no R1/EMA"):
        assert m["ring8"][label]["n_samples"] == 2500 and 0 <= m["ring8"][label]["modes_covered"] <= 8
    assert Image.open(out / "ring8.png").width > 4 * 480


def test_kl_directions_picture_draws_both_fits():
    im = np.asarray(gan_vs_vae.kl_directions_picture().convert("RGB")).astype(int)
    vae = (np.abs(im - gan_vs_vae.VAE_COLOR).sum(-1) < 30).sum()
    gan = (np.abs(im - gan_vs_vae.GAN_COLOR).sum(-1) < 30).sum()
    assert vae > 500 and gan > 500  # both curves (and their labels) are drawn
