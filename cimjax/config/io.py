"""Loading, overriding and saving configs.

- ``load_config(path)`` reads a ``configs/*.py`` file (which defines ``get_config()``
  returning a :class:`Config`) or a ``config.json`` written next to a run's outputs.
- ``apply_overrides(config, ["train.epochs=3", ...])`` applies command-line
  ``--set section.field=value`` overrides; values are parsed by the field's type.
- ``save_config(config, path)`` writes JSON atomically; ``load_config`` reads it back to an
  equal config, so any run can be repeated exactly.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Iterable

from cimjax.config._validate import ConfigError
from cimjax.errors import CimjaxError
from cimjax.fileio import NUMBER_SYNTAX, parse_int, parse_number, write_failure
from cimjax.config.schema import SECTIONS, Config

_NONE_WORDS = ("none", "null")
_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")


def _field_types(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip_optional(tp) -> tuple[Any, bool]:
    """(inner type, is_optional) for ``Optional[X]`` / ``X | None``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _coerce(path: str, tp, value: Any) -> Any:
    """Convert a JSON value to the field's Python type (lists → tuples); the dataclass
    checks the result, so this only reshapes, it never decides validity."""
    inner, optional = _strip_optional(tp)
    if value is None:
        return None
    if typing.get_origin(inner) is tuple and isinstance(value, list):
        return tuple(value)
    if inner is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _parse_scalar(path: str, text: str, tp) -> Any:
    """Parse ``text`` from the command line as the field type ``tp``."""
    inner, optional = _strip_optional(tp)
    t = text.strip()
    if optional and t.lower() in _NONE_WORDS:
        return None
    if inner is bool:
        if t.lower() in _TRUE_WORDS:
            return True
        if t.lower() in _FALSE_WORDS:
            return False
        raise ConfigError(f"{path} = {text!r} is invalid: expected true or false")
    # Numbers: ASCII digits only (cimjax.fileio.parse_number); Python's int()/float() would also
    # take '1_0' and other scripts' digits ('１２', '٠.٥'), which are refused here.
    if inner is int:
        value = parse_int(t)
        if value is None:
            raise ConfigError(f"{path} = {text!r} is invalid: expected an integer ({NUMBER_SYNTAX})")
        return value
    if inner is float:
        number = parse_number(t)
        if number is None:
            raise ConfigError(f"{path} = {text!r} is invalid: expected a number ({NUMBER_SYNTAX})")
        return number
    if typing.get_origin(inner) is tuple:
        body = t.strip("()[] ")
        if not body:
            return ()
        (elem, *_rest) = typing.get_args(inner)
        return tuple(_parse_scalar(path, part, elem) for part in body.split(","))
    if inner is str:
        return t
    raise ConfigError(f"{path}: cannot parse values of type {inner!r} from the command line")


def _split_key(path: str) -> tuple[str, str]:
    parts = path.split(".")
    if len(parts) != 2 or parts[0] not in SECTIONS:
        raise ConfigError(
            f"unknown config field {path!r}: expected section.field with section one of "
            + ", ".join(SECTIONS)
        )
    section, name = parts
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if name not in names:
        raise ConfigError(f"unknown config field {path!r}: {section} has fields " + ", ".join(names))
    return section, name


def replace(config: Config, **changes: dict[str, Any]) -> Config:
    """``replace(cfg, train={'epochs': 3})``: new config with fields of sections changed."""
    sections = {}
    for section, fields in changes.items():
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section {section!r}: expected one of " + ", ".join(SECTIONS))
        for name in fields:
            _split_key(f"{section}.{name}")
        sections[section] = dataclasses.replace(getattr(config, section), **fields)
    return dataclasses.replace(config, **sections)


def apply_overrides(config: Config, overrides: Iterable[str]) -> Config:
    """Apply ``section.field=value`` strings, in order."""
    changes: dict[str, dict[str, Any]] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is invalid: expected section.field=value")
        key, text = item.split("=", 1)
        section, name = _split_key(key.strip())
        tp = _field_types(SECTIONS[section])[name]
        changes.setdefault(section, {})[name] = _parse_scalar(key.strip(), text, tp)
    return replace(config, **changes)


def to_dict(config: Config) -> dict[str, dict[str, Any]]:
    """Plain JSON-able dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def from_dict(d: dict[str, Any]) -> Config:
    """Inverse of :func:`to_dict`. Unknown sections or fields raise ``ValueError``."""
    if not isinstance(d, dict):
        raise ConfigError(f"config must be a mapping of sections, got {type(d).__name__}")
    sections = {}
    for section, fields in d.items():
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section {section!r}: expected one of " + ", ".join(SECTIONS))
        if not isinstance(fields, dict):
            raise ConfigError(f"config section {section!r} must be a mapping, got {fields!r}")
        types_ = _field_types(SECTIONS[section])
        kwargs = {}
        for name, value in fields.items():
            _split_key(f"{section}.{name}")
            kwargs[name] = _coerce(f"{section}.{name}", types_[name], value)
        sections[section] = SECTIONS[section](**kwargs)
    return Config(**sections)


def load_config(path: str | os.PathLike) -> Config:
    """Load a ``.py`` config file (``get_config()``) or a ``.json`` saved config."""
    path = Path(path)
    if path.is_dir() and (path / "config.json").is_file():
        path = path / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} not found")
    if path.suffix == ".json":
        data = _read_json(path)
        try:
            return from_dict(data)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
    if path.suffix == ".py":
        spec = importlib.util.spec_from_file_location(f"cimjax_config_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            if not hasattr(module, "get_config"):
                raise ConfigError(f"config file {str(path)!r} defines no get_config()")
            config = module.get_config()
        except CimjaxError:
            raise
        except Exception as err:  # noqa: BLE001 -- any failure of the user's file is an input error
            raise ConfigError(f"{path}: the config file fails: {type(err).__name__}: {err}") from err
        if not isinstance(config, Config):
            raise ConfigError(f"get_config() in {str(path)!r} returned {type(config).__name__}, expected cimjax Config")
        return config
    raise ConfigError(f"config file {str(path)!r}: expected a .py or .json file")


def _read_json(path: Path) -> Any:
    """The JSON of a saved config; a damaged file (empty, truncated, binary) is a
    :class:`ConfigError` naming it, and the line and column where it breaks."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ConfigError(f"{path}: empty config file (expected the JSON a cimjax run saves)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a JSON config file (binary data at byte {err.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: damaged config file: {err.msg} (line {err.lineno}, column {err.colno}); "
                          f"it is not the JSON a cimjax run saves") from None


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write via a temporary file in the same directory and an atomic rename.

    Raises:
      RunError: the write failed (a full disk, a read-only file system), naming ``path``; the
        file is left as it was and the temporary file removed.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_file(tmp, data)
        os.replace(tmp, path)
    except OSError as err:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise write_failure(str(path), err) from err


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_config(config: Config, path: str | os.PathLike) -> None:
    atomic_write_text(path, json.dumps(to_dict(config), indent=2, sort_keys=True) + "\n")
