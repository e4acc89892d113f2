"""Checks of the workflow's configuration whose messages name the file, line and full key of a bad value.

Snakemake merges ``config/config.yaml`` with the ``--configfile`` overlays (and ``--config`` values) and
hands the result to the Snakefile. Its own messages for a broken file ("not valid JSON or YAML"), an empty
one, a section set to ``null`` (a ``TypeError`` deep in a rules file) or a schema error (a key path relative
to the section) name neither the file nor the line. The Snakefile calls :func:`check_config_file` on the
main config file before reading it and :func:`check_config` on the merged config before anything uses it.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# YAML 1.1 (PyYAML, and so Snakemake) reads 1e-3 as a string: a float needs a dot and a signed exponent.
_NUMBER_LIKE = re.compile(r"^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$")


class ConfigError(ValueError):
    """A configuration problem; its message is meant for the user."""


def _display(path: str | Path) -> str:
    """A path as the user would write it: relative to the working directory when it is inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _dotted(keys: Sequence[Any]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "(top level)"


def check_config_file(path: str | Path) -> dict:
    """Parse one config file; raise :class:`ConfigError` naming the file (and line) unless it is a mapping."""
    shown = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"config file {shown} cannot be read: {e.strerror or e}") from None
    try:
        try:
            data = yaml.load(text, Loader=_Loader)  # libyaml when there: fast; the pure-Python one says more
        except yaml.YAMLError:
            data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        lines = text.splitlines()
        mark = e.problem_mark or e.context_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        what = e.problem or e.context or "syntax error"
        if e.context and e.problem:
            opened = e.context_mark
            what += f" ({e.context}" + (f" that starts on line {opened.line + 1})" if opened else ")")
        shown_lines = sorted({m.line for m in (e.context_mark, e.problem_mark) if m and m.line < len(lines)})
        quoted = "".join(f"\n    {n + 1:>4} | {lines[n]}" for n in shown_lines if lines[n].strip())
        raise ConfigError(
            f"{where}: not valid YAML: {what}{quoted}\n"
            "Check the brackets and quotes there and on the lines before, and indent with spaces, not tabs."
        ) from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{shown}: not valid YAML: {e}") from None
    if data is None:
        raise ConfigError(
            f"config file {shown} is empty: it must hold settings as a mapping (key: value), e.g.\n"
            "    decoy_mnist:\n      train: {epochs: 3}"
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {shown}: its top level is a {type(data).__name__}, not a mapping of settings "
            "(key: value), e.g.\n    decoy_mnist:\n      train: {epochs: 3}"
        )
    return data


def _line(path: str | Path, keys: Sequence[Any]) -> int | None:
    """The line on which ``keys`` is set in a YAML file (1-based), or None."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)]
            if not found:
                return None
            key_node, node = found[-1]
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None
    return line if keys else 1


def _has(data: Any, keys: Sequence[Any]) -> bool:
    for key in keys:
        if isinstance(data, Mapping) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return False
    return True


class _Sources:
    """Which config file (or --config) set a key: files in the order Snakemake applies them, the last wins."""

    def __init__(self, files: Sequence[str | Path], cli: Mapping | None = None):
        self.files = [(f, check_config_file(f)) for f in files]
        self.cli = dict(cli or {})

    def of(self, keys: Sequence[Any]) -> str:
        setters = [f"{_display(f)}:{_line(f, keys) or '?'}" for f, data in self.files if _has(data, keys)]
        if self.cli and _has(self.cli, keys):
            setters.append("--config on the command line")
        if not setters:
            return ""
        if len(setters) == 1:
            return f" (set in {setters[0]})"
        return f" (set in {setters[-1]}, which overrides {', '.join(reversed(setters[:-1]))})"

    def parent_of(self, keys: Sequence[Any]) -> str:
        for n in range(len(keys), -1, -1):
            where = self.of(keys[:n])
            if where:
                return where.replace(" (set in", f" ({_dotted(keys[:n])} set in", 1) if n else where
        return ""


@functools.lru_cache(maxsize=None)
def _schema_data(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def _validator(schema_file: Path):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    def load(path: Path) -> dict:
        return copy.deepcopy(_schema_data(path.resolve()))

    schema = load(schema_file)
    schema["$id"] = schema_file.resolve().as_uri()

    def retrieve(uri: str) -> Resource:
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        return Resource.from_contents(load(Path(url2pathname(urlparse(uri).path))))

    registry = Registry(retrieve=retrieve).with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft202012Validator(schema, registry=registry), schema


def _number_hint(value: Any, error) -> str:
    expected = error.validator_value if error.validator == "type" else None
    expected = [expected] if isinstance(expected, str) else list(expected or [])
    if not isinstance(value, str) or not {"number", "integer"} & set(expected):
        return ""
    if not _NUMBER_LIKE.match(value.strip()) or not re.search(r"\d", value):
        return ""
    try:
        number = float(value.replace("_", ""))
    except ValueError:
        return ""
    mantissa, _, exponent = value.strip().lower().partition("e")
    if "number" not in expected and number.is_integer():
        return f". YAML reads {value} as text, not a number: write {int(number)}"
    if exponent:
        sign = "" if exponent[0] in "+-" else "+"
        written = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{sign}{exponent}"
    else:
        written = repr(number)
    return (
        f". YAML reads {value} as text, not a number: write {written} (YAML needs a dot in the mantissa and a sign "
        f"in the exponent) or {number:g}"
    )


def _describe(error, prefix: Sequence[Any], sources: _Sources) -> list[str]:
    keys = [*prefix, *error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extras = [k for k in error.instance if k not in known and not any(re.search(p, str(k)) for p in patterns)]
        out = []
        for key in extras:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; known keys here: {', '.join(known)}"
            out.append(f"unknown key {_dotted([*keys, key])}{sources.of([*keys, key])}{hint}")
        if out:
            return out
    if error.validator == "required":
        missing = re.match(r"'(.*)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        return [f"{_dotted([*keys, name])} is missing{sources.parent_of(keys)}: it is required"]
    value = error.instance
    shown = "null" if value is None else repr(value)
    message = error.message
    if error.validator == "type" and value is None and "object" in str(error.validator_value):
        message = "a section must be a mapping of settings (key: value), not null; delete the line to keep the " \
                  "defaults, or give the keys to change"
    return [f"{_dotted(keys)} = {shown}{sources.of(keys)}: {message}{_number_hint(value, error)}"]


def _non_finite(value: Any, keys: tuple = ()) -> list[tuple[tuple, float]]:
    """Every NaN or infinite number in ``value`` (YAML's ``.nan``, ``.inf``, ``-.inf``), with its key path."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(keys, value)]
    if isinstance(value, Mapping):
        return [found for k, v in value.items() for found in _non_finite(v, (*keys, k))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _non_finite(v, (*keys, i))]
    return []


def check_config(
    config: Mapping,
    files: Sequence[str | Path],
    schema_dir: str | Path,
    *,
    cli: Mapping | None = None,
    top_schema: str = "config.schema.yaml",
) -> None:
    """Validate the merged ``config`` against ``schema_dir/top_schema`` and each section against
    ``schema_dir/<section>.schema.yaml``; raise :class:`ConfigError` listing every problem with its full key,
    the file and line that set it (``files`` in the order they were applied; ``cli``: the ``--config``
    values) and, for a number YAML read as a string (``1e-3``), how to write it. A NaN or infinite number anywhere
    (``l1: .nan``, ``.inf``) is a problem too: no setting takes one, and it would fail later inside a job."""
    sources = _Sources(files, cli)
    schema_dir = Path(schema_dir)
    non_finite = _non_finite(dict(config))
    problems: list[str] = [
        f"{_dotted(keys)} = {value}{sources.of(keys)}: not a finite number (YAML's .nan / .inf); write a finite "
        "value, or delete the line to keep the default"
        for keys, value in non_finite
    ]
    flagged = {keys for keys, _ in non_finite}

    def run(schema_file: Path, instance: Any, prefix: Sequence[Any]) -> None:
        validator, _ = _validator(schema_file)
        for error in sorted(validator.iter_errors(instance), key=lambda e: [str(k) for k in e.absolute_path]):
            if (*prefix, *error.absolute_path) not in flagged:  # said once, above
                problems.extend(_describe(error, prefix, sources))

    run(schema_dir / top_schema, dict(config), [])
    for section, value in config.items():
        schema_file = schema_dir / f"{section}.schema.yaml"
        if isinstance(value, Mapping) and schema_file.is_file():
            run(schema_file, value, [section])
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(
            f"the configuration is not valid ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n{listed}\n"
            f"The schemas in {_display(schema_dir)} list every key and its allowed values."
        )


def _merge(base: dict, overlay: Mapping) -> dict:
    """Snakemake's update_config: mappings merge key by key, anything else replaces."""
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def load_config(*files: str | Path) -> dict:
    """The config Snakemake would see for these files, in ``--configfile`` order (the main config first; a profile
    such as ``config/smoke.yaml`` is an overlay of ``config/config.yaml``), each file checked as it is read."""
    config: dict = {}
    for f in files:
        _merge(config, check_config_file(f))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rrr.pipeline.configcheck [overlay.yaml ...]``: check config/config.yaml and the overlays as Snakemake
    would merge them. Snakemake parses ``--configfile`` overlays before the workflow starts, so a syntax error or
    an empty overlay gets its own message, which names no file or line; this one does."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m rrr.pipeline.configcheck", description=main.__doc__)
    parser.add_argument("configfiles", nargs="*", type=Path, help="overlays, in --configfile order")
    parser.add_argument("--main", type=Path, default=Path("config/config.yaml"),
                        help="the workflow's own config file (default: config/config.yaml)")
    parser.add_argument("--schemas", type=Path, default=Path("workflow/schemas"))
    args = parser.parse_args(argv)
    files = [f for f in [args.main] if f.exists() and f not in args.configfiles] + list(args.configfiles)
    try:
        check_config(load_config(*files), files, args.schemas)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"ok: {', '.join(_display(f) for f in files)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
