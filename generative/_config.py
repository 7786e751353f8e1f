"""Dataclass configs <-> argparse options <-> JSON (private helpers of the training core).

Every field of a config dataclass becomes a ``--field-name`` option whose type, choices and
help come from the field: ``bool`` -> ``--flag/--no-flag``, ``Literal[...]`` -> choices,
``tuple[int, ...]`` -> one or more values.  Options default to "not given" (``SUPPRESS``) so
the caller can tell an explicit override (needed when resuming) from a default.

The config dataclasses derive from :class:`ExplicitFields`, which records the fields a
constructor call named (``TrainConfig(steps=10)`` names ``steps``), so the same distinction
holds for configs built in Python: :func:`explicit_fields`.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any, Literal, get_args, get_origin

__all__ = [
    "ExplicitFields",
    "add_dataclass_arguments",
    "config_from_dict",
    "config_replace",
    "explicit_fields",
    "field_names",
    "given_fields",
]


class ExplicitFields:
    """Base of the config dataclasses: remembers which fields the constructor was given.

    ``__new__`` receives the constructor's arguments; it stores their field names in
    ``_explicit`` (positional arguments count, in field order).  ``dataclasses.replace``
    passes every field, so a replaced config names them all.
    """

    _explicit: frozenset[str]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        object.__setattr__(self, "_explicit", frozenset(names[: len(args)]) | frozenset(kwargs))
        return self


def explicit_fields(config: Any) -> frozenset[str]:
    """Fields named when ``config`` was constructed (all fields for a config not built that way)."""
    given = getattr(config, "_explicit", None)
    return given if given is not None else frozenset(field_names(type(config)))


def _resolve(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> Any:
    if get_origin(tp) is typing.Union or str(get_origin(tp)) == "<class 'types.UnionType'>":
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def field_names(cls: type) -> list[str]:
    """Names of the fields of a config dataclass."""
    return [f.name for f in dataclasses.fields(cls)]


def add_dataclass_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, cls: type) -> None:
    """Add one ``--name`` option per field of dataclass ``cls`` (defaults suppressed)."""
    hints = _resolve(cls)
    defaults = cls()
    for f in dataclasses.fields(cls):
        if not f.init or f.metadata.get("cli", True) is False:
            continue
        tp = _unwrap_optional(hints[f.name])
        opt = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        helptext = f.metadata.get("help", "")
        helptext = f"{helptext} (default: {default!r})" if helptext else f"(default: {default!r})"
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": helptext.replace("%", "%%")}
        if tp is bool:
            parser.add_argument(opt, action=argparse.BooleanOptionalAction, **kw)
        elif get_origin(tp) is Literal:
            choices = get_args(tp)
            parser.add_argument(opt, type=type(choices[0]), choices=choices, **kw)
        elif get_origin(tp) is tuple:
            args = get_args(tp)
            parser.add_argument(opt, type=args[0], nargs="+", metavar=args[0].__name__.upper(), **kw)
        elif tp in (int, float, str):
            parser.add_argument(opt, type=tp, metavar=tp.__name__.upper(), **kw)
        else:  # pragma: no cover - a config author's mistake
            raise TypeError(f"config field {cls.__name__}.{f.name} has unsupported type {tp!r}")


def given_fields(cls: type, namespace: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``cls`` given explicitly on the command line, converted to their types."""
    hints = _resolve(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if hasattr(namespace, f.name):
            v = getattr(namespace, f.name)
            if get_origin(_unwrap_optional(hints[f.name])) is tuple:
                v = tuple(v)
            out[f.name] = v
    return out


def config_replace(config: Any, changes: dict[str, Any]) -> Any:
    """``dataclasses.replace`` with a clear error for unknown field names."""
    names = set(field_names(type(config)))
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"unknown {type(config).__name__} field(s) {unknown}; known: {sorted(names)}")
    return dataclasses.replace(config, **changes)


def config_from_dict(cls: type, d: dict[str, Any]) -> Any:
    """Rebuild a config dataclass from its ``asdict`` (JSON) form; lists become tuples."""
    hints = _resolve(cls)
    kw = {}
    for k, v in d.items():
        if k in hints and get_origin(_unwrap_optional(hints[k])) is tuple and isinstance(v, list):
            v = tuple(v)
        kw[k] = v
    return config_replace(cls(), kw)
