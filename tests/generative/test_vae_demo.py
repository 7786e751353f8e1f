"""The AE-vs-VAE demo runs headless and writes its pictures where it says."""

from __future__ import annotations

from PIL import Image

from demos.ae_vs_vae import main


def test_ae_vs_vae_demo_writes_the_pictures(tmp_path, capsys):
    assert main(["--steps", "30", "--out", str(tmp_path), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"pictures written to {tmp_path.resolve()}" in out
    for method in ("ae", "vae"):
        assert Image.open(tmp_path / f"{method}_latent.png").size == (480, 480)
        # 64 prior samples in an 8x8 grid of 8x8 images with 1-pixel gaps, magnified 5x
        assert Image.open(tmp_path / f"{method}_prior_samples.png").size == (5 * 73, 5 * 73)
        assert (tmp_path / f"{method}-run" / "checkpoint.pt").exists()
    board = Image.open(tmp_path / "ae_vs_vae.png")
    assert board.width > 3 * 365 and board.height > 2 * 480
