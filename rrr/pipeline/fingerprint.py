"""Code fingerprints: which library modules a workflow script runs, and a hash of what they do.

The workflow gives every rule that runs a script a ``code`` param: the fingerprint of the script and of every module
it imports, followed transitively within ``rrr`` and within the scripts' own folder. Snakemake reruns a job whose
params changed, so a change to ``rrr/losses.py`` reruns the trainings that import it (and what they feed), a change
to ``rrr/plots/iris_cancer.py`` reruns the figures drawn with it, and nothing else.

What counts is the code's behaviour, not its layout or its place: the hash is of a token stream without comments,
docstrings, blank lines, line breaks inside brackets, trailing commas or the choice of quotes, and of the package's own
modules by content, not by path. An import of the package's own code counts as the names it binds (where they come
from is in the closure's contents), so moving a module, and the imports that follow it, reruns nothing. The stream is
built with :mod:`tokenize`, the same on every Python version (3.12 tokenizes f-strings into parts; they are read back
as their source text), so a login node with another Python reruns nothing.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from functools import lru_cache
from pathlib import Path

from rrr._moved import MOVED

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE = PACKAGE_DIR.name  # "rrr"

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_CLOSING = {")", "]", "}"}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python ≥ 3.12
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def _tokens(source: str) -> list[tuple[int, str]]:
    """(type, text) of the significant tokens; an f-string (one token before 3.12, several after) is its source."""
    lines = source.splitlines(keepends=True)
    out: list[tuple[int, str]] = []
    fstring_start: tuple[int, int] | None = None
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if _FSTRING_START is not None and tok.type == _FSTRING_START:
            depth += 1
            if depth == 1:
                fstring_start = tok.start
            continue
        if _FSTRING_END is not None and tok.type == _FSTRING_END:
            depth -= 1
            if depth == 0:
                (r0, c0), (r1, c1) = fstring_start, tok.end  # type: ignore[misc]
                text = (lines[r0 - 1][c0:c1] if r0 == r1
                        else lines[r0 - 1][c0:] + "".join(lines[r0: r1 - 1]) + lines[r1 - 1][:c1])
                out.append((tokenize.STRING, text))
            continue
        if depth or tok.type in _SKIP:
            continue
        out.append((tok.type, tok.string))
    return out


def _is_fstring(text: str) -> bool:
    """Whether a string literal's prefix (the letters before its first quote) holds an f."""
    return "f" in text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower()


def normalized_source(source: str) -> str:
    """The code's tokens, one space apart, without comments, docstrings, layout, trailing commas or quote style."""
    tokens = _tokens(source)
    out: list[str] = []
    line_start = True
    for i, (kind, text) in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (tokenize.NEWLINE, "")
        if kind == tokenize.STRING and line_start and nxt[0] == tokenize.NEWLINE and not _is_fstring(text):
            continue  # a docstring or another bare string statement: documentation, not behaviour
        if kind == tokenize.OP and text == "," and nxt[1] in _CLOSING:
            continue  # a trailing comma
        if kind == tokenize.STRING and not _is_fstring(text):
            text = repr(ast.literal_eval(text))
        elif kind == tokenize.NEWLINE:
            if line_start:
                continue  # the NEWLINE of a dropped docstring
            text = ";"
        elif kind == tokenize.INDENT:
            text = "{"
        elif kind == tokenize.DEDENT:
            text = "}"
        out.append(text)
        line_start = kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    return " ".join(out)


def source_digest(path: Path) -> str:
    """sha256 of a Python file's normalized source, its imports of the package's own code reduced to their names."""
    return _text_digest(path, path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _text_digest(path: Path, source: str) -> str:  # cached by content: a file edited in this process is read afresh
    return hashlib.sha256(normalized_source(_own_imports_as_names(source, path)).encode()).hexdigest()


def _is_own(node: ast.Import | ast.ImportFrom, here: Path) -> bool:
    """Whether an import brings the package's own code (or a helper script beside ``here``): its closure holds it."""
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    if isinstance(node, ast.ImportFrom) and node.level:
        return True
    return all(m.split(".")[0] == PACKAGE or (here.parent / f"{m}.py").is_file() for m in modules)


def _own_imports_as_names(source: str, here: Path) -> str:
    """``source`` with each import of the package's own code (a whole-line statement) replaced by the names it binds,
    so a module's move (and the new import path) changes no fingerprint; what the names do is in the closure."""
    lines = source.splitlines(keepends=True)
    nodes = [n for n in ast.walk(ast.parse(source, filename=str(here))) if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]  # type: ignore[operator]
        whole = not first[: node.col_offset].strip() and last[node.end_col_offset :].strip()[:1] in ("", "#")
        if not whole or not _is_own(node, here):
            continue
        bound = [a.asname or (a.name.split(".")[0] if isinstance(node, ast.Import) else a.name) for a in node.names]
        names = [a.name if isinstance(node, ast.ImportFrom) else "" for a in node.names]
        text = first[: node.col_offset] + f"__imports__ = {sorted(zip(bound, names))!r}\n"
        lines[node.lineno - 1 : node.end_lineno] = [text]
    return "".join(lines)


def _module_file(parts: list[str]) -> Path | None:
    """The file of module ``rrr.<parts>``: a module or a package's ``__init__.py``."""
    base = PACKAGE_DIR.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if parts and path.is_file():
            return path
    return PACKAGE_DIR / "__init__.py" if not parts else None


def _lazy_exports(init: Path) -> dict[str, str]:
    """A package's PEP 562 export map (``_EXPORTS = {name: module}``), read without importing it."""
    return _exports_in(init.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _exports_in(source: str) -> dict[str, str]:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _package_parts(path: Path) -> list[str] | None:
    """``rrr.plots.iris_cancer`` → ["plots", "iris_cancer"] for a file of the package, else None."""
    try:
        rel = path.resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _resolve(module: str, names: list[str], here: Path) -> set[Path]:
    """The files an import runs, of the package or of ``here``'s folder (a workflow script's helpers); an old module
    name (:data:`rrr._moved.MOVED`) counts as the module at its new place."""
    found: set[Path] = set()
    module = MOVED.get(module, module)
    for name in [n for n in names if f"{module}.{n}" in MOVED]:  # `from rrr import claims`: a moved submodule
        found |= _resolve(MOVED[f"{module}.{name}"], [], here)
        names = [n for n in names if n != name]
    top, *rest = module.split(".") if module else [""]
    if top == PACKAGE:
        owner = _module_file(rest)
        if owner is None:
            return found
        for name in names:
            sub = _module_file([*rest, name])
            if sub is not None and name != "*":
                found.add(sub)  # `from rrr.plots import iris_cancer`: a submodule
            elif owner.name == "__init__.py" and name in _lazy_exports(owner):
                found |= _resolve(_lazy_exports(owner)[name], [], here)  # a lazily re-exported name
            elif owner != PACKAGE_DIR / "__init__.py":
                found.add(owner)  # a name defined in the module itself
        if not names and owner != PACKAGE_DIR / "__init__.py":
            found.add(owner)
        return found
    helper = here.parent / f"{top}.py"
    if not module.startswith(".") and helper.is_file() and helper != here and not rest:
        found.add(helper)
    return found


def imported_files(path: Path) -> frozenset[Path]:
    """The package modules and sibling helper scripts that ``path`` imports, anywhere in it (lazy imports too)."""
    return _imports(path, path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _imports(path: Path, source: str) -> frozenset[Path]:
    found: set[Path] = set()
    parts = _package_parts(path)
    for node in ast.walk(ast.parse(source, filename=str(path))):  # a syntax error names the file
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _resolve(alias.name, [], path)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: only meaningful inside the package
                if parts is None:
                    continue
                package = parts if path.name == "__init__.py" else parts[:-1]
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([PACKAGE, *base, *([module] if module else [])])
            found |= _resolve(module, [a.name for a in node.names], path)
    return frozenset(found)


def code_closure(script: str | Path) -> list[Path]:
    """``script`` and every module it runs, transitively (within the package and the script's folder), sorted."""
    script = Path(script).resolve()
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(imported_files(path) - seen)
    return sorted(seen)


def _digest(paths: list[Path]) -> str:
    """The files' contents, not their names or places: a module moved with its imports hashes the same."""
    return hashlib.sha256("".join(f"{d}\n" for d in sorted(map(source_digest, paths))).encode()).hexdigest()[:16]


def code_fingerprint(script: str | Path) -> str:
    """A short hash of what ``script`` and the modules it imports do (the workflow's ``code`` param)."""
    return _digest(code_closure(script))


def module_fingerprint(*modules: str) -> str:
    """The fingerprint of named package modules (``"rrr.data.acquire"``) and what they import: for ``run:`` blocks."""
    files = [_module_file(m.split(".")[1:]) for m in modules]
    if None in files:
        raise ValueError(f"no such module of {PACKAGE}: {[m for m, f in zip(modules, files) if f is None]}")
    return _digest(sorted({p for f in files for p in code_closure(f)}))  # type: ignore[arg-type]
