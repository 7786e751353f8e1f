"""The user's own data: .npy/.npz, MNIST IDX files (written here byte by byte), image folders, and the errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from generative.data import DataError, load_dataset, read_idx, write_idx


def idx_bytes(array: np.ndarray, code: int, fmt: str) -> bytes:
    """The IDX format by hand: 0, 0, type code, ndim, big-endian dims, big-endian values."""
    head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return head + b"".join(struct.pack(">" + fmt, v) for v in array.ravel().tolist())


def test_read_idx_of_hand_written_files(tmp_path):
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a-idx3-ubyte").write_bytes(idx_bytes(img, 0x08, "B"))
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte"), img)
    f = np.array([[1.5, -2.25], [3.0, 1e-3]], dtype=np.float32)
    (tmp_path / "f.idx").write_bytes(gzip.compress(idx_bytes(f, 0x0D, "f")))
    got = read_idx(tmp_path / "f.idx")
    assert got.dtype == np.float32 and np.array_equal(got, f)
    i16 = np.array([[-300, 7]], dtype=np.int16)
    (tmp_path / "s.idx").write_bytes(idx_bytes(i16, 0x0B, "h"))
    assert np.array_equal(read_idx(tmp_path / "s.idx"), i16)
    # write_idx is the inverse
    write_idx(tmp_path / "w-idx3-ubyte.gz", img)
    assert gzip.decompress((tmp_path / "w-idx3-ubyte.gz").read_bytes()) == idx_bytes(img, 0x08, "B")


def test_mnist_folder_with_train_and_test_files(tmp_path):
    rng = np.random.default_rng(0)
    xtr = rng.integers(0, 256, (20, 6, 4), dtype=np.uint8)
    ytr = rng.integers(0, 10, 20).astype(np.uint8)
    xte = rng.integers(0, 256, (5, 6, 4), dtype=np.uint8)
    yte = rng.integers(0, 10, 5).astype(np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(xtr, 0x08, "B"))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(ytr, 0x08, "B"))
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(xte, 0x08, "B")))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(yte, 0x08, "B"))
    d = load_dataset(str(tmp_path))
    assert d.info.shape == (6, 4) and d.info.bounded and d.info.scale == 255 and d.info.image
    assert torch.equal(d.train, torch.tensor(xtr / 255.0, dtype=torch.float32))
    assert torch.equal(d.test_labels, torch.tensor(yte, dtype=torch.long))
    back = d.info.to_data(d.test)  # the data's own range and dtype
    assert back.dtype == np.uint8 and np.array_equal(back, xte)
    # a single images file picks up its labels file
    d1 = load_dataset(str(tmp_path / "train-images-idx3-ubyte"))
    assert len(d1.train) + len(d1.test) == 20 and d1.train_labels is not None


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x02ab", "not an IDX file"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x02ab", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x03\x00\x00\x00\x02abcd", r"shape \(3, 2\).*holds 4 bytes.*truncated"),
        (b"", "not an IDX file"),
    ],
)
def test_bad_idx_files(tmp_path, content, match):
    p = tmp_path / "bad-images-idx3-ubyte"
    p.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load_dataset(str(p))


def test_labels_file_is_not_data(tmp_path):
    p = tmp_path / "train-labels-idx1-ubyte"
    p.write_bytes(idx_bytes(np.arange(5, dtype=np.uint8), 0x08, "B"))
    with pytest.raises(DataError, match="holds labels"):
        load_dataset(str(p))


def test_npy_ranges_decide_the_likelihood_and_round_trip(tmp_path):
    u8 = np.random.default_rng(1).integers(0, 256, (30, 5, 5), dtype=np.uint8)
    np.save(tmp_path / "u8.npy", u8)
    d = load_dataset(str(tmp_path / "u8.npy"))
    assert d.info.bounded and d.info.scale == 255 and len(d.train) == 27 and len(d.test) == 3
    whole = np.concatenate([d.info.to_data(d.train), d.info.to_data(d.test)])
    assert sorted(map(bytes, whole)) == sorted(map(bytes, u8))
    real = np.random.default_rng(2).normal(size=(40, 3))
    np.save(tmp_path / "real.npy", real)
    r = load_dataset(str(tmp_path / "real.npy"))
    assert not r.info.bounded and r.info.shape == (3,) and not r.info.image and r.info.dtype == "float64"
    unit = np.random.default_rng(3).uniform(size=(10, 2)).astype(np.float32)
    np.save(tmp_path / "unit.npy", unit)
    assert load_dataset(str(tmp_path / "unit.npy")).info.bounded


def test_npz_with_labels_and_ambiguous_keys(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = np.arange(20) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    d = load_dataset(str(tmp_path / "d.npz"))
    assert d.info.n_classes == 3 and len(d.train_labels) == 18
    np.savez(tmp_path / "amb.npz", a=x, b=x)
    with pytest.raises(DataError, match=r"cannot tell which array.*\['a', 'b'\]"):
        load_dataset(str(tmp_path / "amb.npz"))
    np.savez(tmp_path / "lab.npz", x=x, y=np.arange(19))
    with pytest.raises(DataError, match=r"labels must be.*shape \(20,\)"):
        load_dataset(str(tmp_path / "lab.npz"))


@pytest.mark.parametrize(
    "array, match",
    [
        (np.array([1.0, 2.0, 3.0]), r"at least 2 dimensions.*shape \(3,\)"),
        (np.array([[1.0, np.nan], [0.0, 1.0], [2.0, 2.0]]), r"1 non-finite values.*index \(0, 1\)"),
        (np.array([[1.0, 2.0]]), "at least 2 examples"),
        (np.array([["a"], ["b"]]), "numeric array"),
    ],
)
def test_bad_arrays(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match=match):
        load_dataset(str(tmp_path / "bad.npy"))


def test_bad_files_and_names(tmp_path):
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="cannot load .*junk.npy"):
        load_dataset(str(tmp_path / "junk.npy"))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="obj.npy"):
        load_dataset(str(tmp_path / "obj.npy"))
    (tmp_path / "data.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="unknown data format"):
        load_dataset(str(tmp_path / "data.csv"))
    with pytest.raises(DataError, match="no such file"):
        load_dataset(str(tmp_path / "missing.npy"))


def test_image_folder_with_classes(tmp_path):
    rng = np.random.default_rng(0)
    imgs = {}
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(6):
            a = rng.integers(0, 256, (4, 6), dtype=np.uint8)
            Image.fromarray(a, "L").save(tmp_path / cls / f"{i}.png")
            imgs[(cls, i)] = a
    d = load_dataset(str(tmp_path))
    assert d.info.shape == (4, 6) and d.info.bounded and d.info.n_classes == 2 and d.info.image
    whole = np.concatenate([d.info.to_data(d.train), d.info.to_data(d.test)])
    assert sorted(map(bytes, whole)) == sorted(map(bytes, imgs.values()))
    # colour images keep their channels
    col = tmp_path / "colour"
    col.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (5, 5, 3), dtype=np.uint8), "RGB").save(col / f"{i}.png")
    assert load_dataset(str(col)).info.shape == (5, 5, 3)


def test_image_folder_errors(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    Image.new("L", (5, 4)).save(tmp_path / "b.png")
    with pytest.raises(DataError, match=r"b.png is 5x4, but .*a.png is 4x4"):
        load_dataset(str(tmp_path))
    (tmp_path / "b.png").unlink()
    (tmp_path / "c.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError, match="cannot read image .*c.png"):
        load_dataset(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="need at least 2 images"):
        load_dataset(str(empty))


def test_a_gzip_idx_header_claiming_huge_dims_is_refused_without_reading(tmp_path):
    import tracemalloc

    head = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 100_000, 1000, 1000)  # claims 1e11 bytes
    (tmp_path / "huge-idx3-ubyte.gz").write_bytes(gzip.compress(head + bytes(1000)))
    tracemalloc.start()
    with pytest.raises(DataError, match=r"shape \(100000, 1000, 1000\) \(100000000000 bytes .*gzip file holds at most"):
        read_idx(tmp_path / "huge-idx3-ubyte.gz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000


def test_a_gzip_bomb_behind_a_small_header_is_refused_in_bounded_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:  # 7,840 declared bytes, then 256 MB of zeros
        f.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10, 28, 28) + bytes(7840))
        block = bytes(1 << 20)
        for _ in range(256):
            f.write(block)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    with pytest.raises(DataError, match=r"holds more data than its IDX header says \(7840 bytes\)"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000  # decompressing it whole would take 256 MB


def test_a_truncated_gzip_idx_is_refused(tmp_path):
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "t-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(img, 0x08, "B")[:-5]))
    with pytest.raises(DataError, match=r"header says 24 bytes of data, the file holds 19 \(truncated\)"):
        read_idx(tmp_path / "t-idx3-ubyte.gz")
    (tmp_path / "c-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(img, 0x08, "B"))[:-12])
    with pytest.raises(DataError, match="damaged gzip file|truncated"):
        read_idx(tmp_path / "c-idx3-ubyte.gz")


def test_uint16_and_values_beyond_float32_are_scaled_at_load_and_train(tmp_path):
    from generative import TrainConfig, train
    from generative.vae import VAEConfig

    rng = np.random.default_rng(0)
    u16 = rng.integers(0, 65536, (40, 4, 4)).astype(np.uint16)
    np.save(tmp_path / "u16.npy", u16)
    d = load_dataset(str(tmp_path / "u16.npy"))
    assert d.info.bounded and d.info.scale == 65535 and float(d.train.max()) <= 1.0
    back = d.info.to_data(torch.cat([d.train, d.test]))  # the exact values come back
    assert back.dtype == np.uint16 and np.array_equal(np.sort(back.ravel()), np.sort(u16.ravel()))
    wide = np.stack([rng.uniform(-3e39, 5e39, 50), rng.uniform(1e39, 2e39, 50)], 1)  # beyond float32 (3.4e38)
    np.save(tmp_path / "wide.npy", wide)
    w = load_dataset(str(tmp_path / "wide.npy"))
    assert (
        not w.info.bounded and w.info.scale == 1e40 and w.info.offset == pytest.approx(wide.min() / 2 + wide.max() / 2)
    )
    assert torch.isfinite(w.train).all() and float(w.train.abs().max()) <= 1.0
    back = w.info.to_data(torch.cat([w.train, w.test]))
    assert np.allclose(np.sort(back, 0), np.sort(wide, 0), rtol=1e-6, atol=1e33)
    fast = dict(steps=3, quiet=True, log_every=1, sample_every=0, checkpoint_every=0, eval_at_end=False)
    for name in ("u16.npy", "wide.npy"):  # both crashed at step 1 with "non-finite loss"
        r = train(
            "vae",
            TrainConfig(dataset=str(tmp_path / name), out=str(tmp_path / f"run-{name}"), **fast),
            VAEConfig(hidden=(16,)),
        )
        assert r.step == 3 and all(np.isfinite(v) for v in r.metrics.values())


@pytest.mark.parametrize("cut", [3, 16, 1000, 2 * 28 * 28 + 15])
def test_concatenated_gzip_members_read_as_one_stream_like_gzip_does(tmp_path, cut):
    img = np.random.default_rng(1).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    raw = idx_bytes(img, 0x08, "B")
    (tmp_path / "m-idx3-ubyte.gz").write_bytes(gzip.compress(raw[:cut]) + gzip.compress(raw[cut:]))
    assert gzip.decompress((tmp_path / "m-idx3-ubyte.gz").read_bytes()) == raw  # gzip's own reading
    assert np.array_equal(read_idx(tmp_path / "m-idx3-ubyte.gz"), img)
