"""Config dataclasses <-> generated CLI options <-> JSON, for every registered method."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generative._config import add_dataclass_arguments, config_from_dict, config_replace, given_fields
from generative.train import TrainConfig, available_methods, get_method
from generative.vae import VAEConfig


def parser_for(*classes):
    p = argparse.ArgumentParser()
    for c in classes:
        add_dataclass_arguments(p, c)
    return p


def to_argv(cfg) -> list[str]:
    argv = []
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        opt = "--" + f.name.replace("_", "-")
        if isinstance(v, bool):
            argv.append(opt if v else "--no-" + f.name.replace("_", "-"))
        elif isinstance(v, tuple):
            argv += [opt, *map(str, v)]
        else:
            argv += [opt, repr(v) if isinstance(v, float) else str(v)]
    return argv


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    epochs=st.floats(0.01, 1e4),
    steps=st.integers(0, 10**6),
    precision=st.sampled_from(["fp32", "bf16"]),
    compile=st.booleans(),
    quiet=st.booleans(),
    latent=st.integers(1, 64),
    hidden=st.lists(st.integers(1, 512), min_size=1, max_size=4),
    arch=st.sampled_from(["mlp", "conv"]),
    lr=st.floats(1e-6, 1.0),
)
def test_cli_options_round_trip_every_field(seed, epochs, steps, precision, compile, quiet, latent, hidden, arch, lr):
    t = TrainConfig(
        seed=seed,
        epochs=epochs,
        steps=steps,
        precision=precision,
        compile=compile,
        quiet=quiet,
        dataset="ring8:std=0.1",
        out="runs/x",
    )
    m = VAEConfig(latent_dim=latent, hidden=tuple(hidden), arch=arch, lr=lr)
    ns = parser_for(TrainConfig, VAEConfig).parse_args(to_argv(t) + to_argv(m))
    assert TrainConfig(**given_fields(TrainConfig, ns)) == t
    assert VAEConfig(**given_fields(VAEConfig, ns)) == m
    # and through JSON, as saved in config.json
    assert config_from_dict(VAEConfig, json.loads(json.dumps(dataclasses.asdict(m)))) == m


def test_only_given_options_are_reported():
    ns = parser_for(TrainConfig).parse_args(["--steps", "7"])
    assert given_fields(TrainConfig, ns) == {"steps": 7}


def test_bad_cli_values_and_unknown_fields():
    p = parser_for(TrainConfig, VAEConfig)
    for argv in (["--precision", "fp16"], ["--steps", "many"], ["--arch", "rnn"], ["--hidden"]):
        with pytest.raises(SystemExit):
            p.parse_args(argv)
    with pytest.raises(ValueError, match=r"unknown VAEConfig field\(s\) \['width'\]"):
        config_replace(VAEConfig(), {"width": 3})
    with pytest.raises(ValueError, match="lr must be a positive number, got -1"):
        VAEConfig(lr=-1)


def test_every_registered_method_gets_its_options():
    for name in available_methods():
        cls = get_method(name)
        p = parser_for(TrainConfig, cls.Config)  # no clash between the two option sets
        assert p.parse_args([]) is not None
    assert {"vae", "ae"} <= set(available_methods())
