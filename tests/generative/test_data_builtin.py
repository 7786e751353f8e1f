"""Built-in datasets: mixture centres and samples, the digits split, resumable batch streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from generative.data import (
    GRID25_STD,
    RING8_STD,
    DataError,
    grid_centers,
    load_dataset,
    ring_centers,
    sample_mixture,
)


def test_ring8_centers_are_the_eighth_roots_of_unity_scaled():
    c = ring_centers()
    assert c.shape == (8, 2)
    for k in range(8):
        assert c[k] == pytest.approx([2 * math.cos(k * math.pi / 4), 2 * math.sin(k * math.pi / 4)], abs=1e-15)
    assert ring_centers(8, 3.0)[2] == pytest.approx([0.0, 3.0], abs=1e-15)


def test_grid25_centers_are_the_lecture_grid():
    c = grid_centers()
    assert c.shape == (25, 2)
    expected = {(-4 + 2 * i, -4 + 2 * j) for i in range(5) for j in range(5)}
    assert {tuple(p) for p in c.tolist()} == expected
    assert tuple(c[5 * 1 + 3]) == (-2.0, 2.0)
    assert np.allclose(grid_centers(5, 1.0), c / 2)


@pytest.mark.parametrize(
    "name, centers, std", [("ring8", ring_centers(), RING8_STD), ("grid25", grid_centers(), GRID25_STD)]
)
def test_mixture_samples_have_equal_weights_and_the_stated_std(name, centers, std):
    data = load_dataset(name)
    x = data.sampler(50_000, torch.Generator().manual_seed(3)).double().numpy()
    d = ((x[:, None, :] - centers[None]) ** 2).sum(-1)
    k = d.argmin(1)
    resid = x - centers[k]
    assert np.abs(resid).max() < 6 * std  # every point belongs to its component
    assert resid.std() == pytest.approx(std, rel=0.02)
    counts = np.bincount(k, minlength=len(centers))
    p = 1 / len(centers)
    se = math.sqrt(len(x) * p * (1 - p))
    assert np.abs(counts - len(x) * p).max() < 5 * se
    # seeded: same generator seed, same points
    again = data.sampler(50_000, torch.Generator().manual_seed(3)).double().numpy()
    assert np.array_equal(x, again)
    assert data.test.shape == (10_000, 2) and data.info.params["std"] == std


def test_mixture_parameters_from_the_spec():
    d = load_dataset("ring8:radius=3,std=0.1")
    x = d.sampler(4000, torch.Generator().manual_seed(0)).numpy()
    r = np.linalg.norm(x, axis=1)
    assert abs(r.mean() - 3.0) < 0.02 and d.info.params == {"radius": 3.0, "std": 0.1, "kind": "ring8"}
    with pytest.raises(DataError, match="radius"):
        load_dataset("ring8:radius=-1")
    with pytest.raises(DataError, match="spacing"):
        load_dataset("ring8:spacing=1")
    with pytest.raises(DataError, match="unknown dataset 'ring9'"):
        load_dataset("ring9")


def test_sample_mixture_matches_its_definition():
    g = torch.Generator().manual_seed(5)
    c = np.array([[0.0, 0.0], [10.0, 0.0]])
    x = sample_mixture(c, 0.5, 3, g)
    g = torch.Generator().manual_seed(5)
    k = torch.randint(0, 2, (3,), generator=g)
    expected = torch.tensor(c, dtype=torch.float32)[k] + 0.5 * torch.randn(3, 2, generator=g)
    assert torch.equal(x, expected)


def test_digits_split_is_fixed_scaled_and_complete():
    from sklearn.datasets import load_digits

    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.train.shape == (1500, 8, 8) and a.test.shape == (297, 8, 8)
    assert torch.equal(a.train, b.train) and torch.equal(a.test_labels, b.test_labels)
    assert a.train.min() >= 0 and a.train.max() <= 1
    assert torch.equal(a.train * 16, torch.round(a.train * 16))
    ref = load_digits()
    both = torch.cat([a.train, a.test]).reshape(-1, 64).numpy() * 16
    rows = sorted(map(tuple, both.astype(int).tolist()))
    assert rows == sorted(map(tuple, ref.data.astype(int).tolist()))
    assert a.info.bounded and a.info.image and a.info.shape == (8, 8) and a.info.n_classes == 10


def test_batch_stream_walks_every_example_once_per_epoch_on_every_rank():
    data = load_dataset("digits")
    flat = data.train.reshape(1500, -1)
    seen = []
    for rank in range(2):
        s = data.batches(150, seed=1, rank=rank, world_size=2)
        for _ in range(5):  # 750 examples = this rank's half of one epoch
            xb = next(s).reshape(150, -1)
            seen.append(((xb[:, None, :] == flat[None]).all(-1)).float().argmax(1))
    # digits has a few duplicate images, so compare the multiset of examples served
    served = flat[torch.cat(seen)]
    key = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731
    assert key(served) == key(flat)


@pytest.mark.parametrize("name", ["digits", "ring8"])
def test_batch_stream_state_restores_the_exact_position(name):
    data = load_dataset(name)
    s = data.batches(64, seed=4)
    for _ in range(30):  # crosses an epoch boundary for digits (1500 / 64)
        next(s)
    state = s.state_dict()
    expect = [next(s) for _ in range(3)]
    t = data.batches(64, seed=4)
    t.load_state_dict(state)
    assert all(torch.equal(a, next(t)) for a in expect)
    other = data.batches(64, seed=5)
    assert not torch.equal(next(other), next(data.batches(64, seed=4)))
