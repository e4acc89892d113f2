"""The papers' and the reference implementation's numbers that figures, tables and claims draw.

Each lives once, in ``config/reference/<name>.yaml`` (one file per experiment, a comment per block
saying where it comes from). :func:`load` reads one file; :func:`value` resolves one number by a spec
``"<name>:<dotted.path>"``, e.g. ``"decoy_mnist:crossval.test.3"`` or
``"adversarial:mnist.fgsm.normal.normal.3"`` (integer list indices allowed). A spec may divide by a
second number of the same file, ``"<name>:<path>/<path>"``: the transfer grids are counts out of
``n_images``, so ``"adversarial:mnist.fgsm.normal.normal.3/n_images"`` is that accuracy (29/256).

Rules pass ``root`` explicitly (and declare the file as an input); the default is the repository's
``config/reference`` next to the package (an editable install or a checkout).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2] / "config" / "reference"


def path(name: str, root: str | Path | None = None) -> Path:
    """``<root>/<name>.yaml``."""
    return Path(root if root is not None else ROOT) / f"{name}.yaml"


def load(name: str, root: str | Path | None = None) -> dict:
    """The mapping of ``<root>/<name>.yaml`` (FileNotFoundError naming the file if it is missing); a copy the caller
    may change."""
    file = path(name, root)
    if not file.is_file():
        raise FileNotFoundError(f"no reference file {file} (reference {name!r})")
    stat = file.stat()
    data = _parsed(file.resolve(), stat.st_mtime_ns, stat.st_size)
    if not isinstance(data, dict):
        raise ValueError(f"{file} must hold a mapping at the top level")
    return copy.deepcopy(data)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's loader where PyYAML has it: the same values, several times faster (the
    workflow parses the claims and these files every time it starts)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=32)
def _parsed(file: Path, mtime_ns: int, size: int) -> Any:
    """One parse per file version: the workflow resolves some 80 numbers from these files while it parses."""
    return parse_yaml(file.read_text())


def lookup(data: Any, dotted: str, file: str | Path = "<data>") -> Any:
    """The entry at ``dotted`` (``a.b.3``): mapping keys by name (an int or float key by its text, so
    ``test.-4`` or ``pro_rule1.0.95`` work), list items by integer index. KeyError names ``file``,
    the path and where it stopped."""
    parts = dotted.split(".") if dotted else []
    node, i = data, 0
    while i < len(parts):
        where = ".".join(parts[:i]) or "<top>"
        if isinstance(node, Mapping):
            for j in range(i + 1, len(parts) + 1):  # a key may itself contain dots (an accuracy level 0.95)
                key = ".".join(parts[i:j])
                match = [k for k in node if str(k) == key]
                if match:
                    node, i = node[match[0]], j
                    break
            else:
                raise KeyError(
                    f"{file}: no {parts[i]!r} under {where} (path {dotted!r}); keys there: {[str(k) for k in node]}"
                )
        elif isinstance(node, list):
            try:
                index = int(parts[i])
                node = node[index]
            except (ValueError, IndexError):
                raise KeyError(
                    f"{file}: {parts[i]!r} is not an index of the {len(node)}-item list at {where} (path {dotted!r})"
                ) from None
            i += 1
        else:
            raise KeyError(f"{file}: {where} is a number, it has no {parts[i]!r} (path {dotted!r})")
    return node


def value(spec: str, root: str | Path | None = None) -> float:
    """One number by ``"<name>:<dotted.path>"`` or ``"<name>:<path>/<path>"`` (their ratio)."""
    name, sep, dotted = spec.partition(":")
    if not sep or not name or not dotted:
        raise ValueError(f"reference spec {spec!r} is not '<name>:<dotted.path>'")
    data, file = load(name, root), path(name, root)
    numbers = []
    for part in dotted.split("/"):
        entry = lookup(data, part.strip(), file)
        if isinstance(entry, bool) or not isinstance(entry, (int, float)):
            raise KeyError(f"{file}: {part.strip()!r} is not a number but {type(entry).__name__} (spec {spec!r})")
        numbers.append(float(entry))
    if len(numbers) > 2:
        raise ValueError(f"reference spec {spec!r}: at most one '/'")
    return numbers[0] / numbers[1] if len(numbers) == 2 else numbers[0]
