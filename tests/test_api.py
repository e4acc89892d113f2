"""The public API is a contract with users' own code: what ``import rrr`` exports, and old names that still work."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

import rrr
from rrr._moved import MOVED

# Adding a name here is a new promise; removing one breaks users' code (deprecate it first, as rrr._moved does).
PUBLIC = [
    "FAERound", "GRADIENT_KINDS", "History", "MLP", "RRRTerms", "TrainingDivergedError", "TrainingExplodingWarning",
    "accuracy", "balance_l1", "check_finite", "concat_stacks", "explanation_mask", "find_another_explanation", "fit",
    "input_gradients", "l2_params", "largest_gradient_mask", "load_model", "loss_terms", "mlp", "mlp_stack",
    "predict_proba", "rrr_loss", "save_model", "smooth_mlp", "stack", "train_diverse_models", "unstack",
]


def test_import_rrr_exports_exactly_the_public_api():
    assert rrr.__all__ == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(rrr, name) is not None, name


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_module_still_imports_from_its_old_name_with_a_warning(old: str):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        legacy = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    public = [n for n in vars(new) if not n.startswith("_")]
    assert public and all(getattr(legacy, n) is getattr(new, n) for n in public)


def test_names_that_left_their_module_resolve_from_the_old_place():
    sys.modules.pop("rrr.hessian", None)
    with pytest.warns(DeprecationWarning):
        from rrr.hessian import sine_boundary_2d, smooth_mlp
    from rrr.data.toy2d import sine_boundary_2d as new_data

    assert smooth_mlp is rrr.smooth_mlp and sine_boundary_2d is new_data


PACKAGE = Path(rrr.__file__).parent


def test_type_checkers_see_every_lazy_export_where_it_resolves():
    """The ``if TYPE_CHECKING:`` imports of rrr/__init__.py name each export of ``_EXPORTS`` from its module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    guarded = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {a.name: node.module for node in guarded.body for a in node.names}
    assert seen == rrr._EXPORTS
    assert (PACKAGE / "py.typed").is_file()


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_top_level_holds_the_method_and_the_machinery_lives_in_rrr_pipeline():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "_moved", "allocator", "atomic", "balance", "explanations", "fae", "fused", "losses",
                   "models", "numerics", "progress", "training", "validation"}
    assert {"claims", "configcheck", "fingerprint", "jobs", "provenance", "walltime"} <= {
        p.stem for p in (PACKAGE / "pipeline").glob("*.py")}
    for path in PACKAGE.glob("*.py"):  # the method needs neither the machinery nor the chapters
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [getattr(node, "module", "")]
            for name in names if isinstance(node, (ast.Import, ast.ImportFrom)) else []:
                assert not (name or "").startswith(("rrr.pipeline", "rrr.paper", "rrr.plots")), (path.name, name)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_imports_another_modules_private_names(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rrr"):
            private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
            assert not private or node.module == "rrr" and private == ["_moved"], (node.module, private)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_library_module_takes_a_snakemake_object(path: Path):
    """Workflow scripts unpack ``snakemake``; the library takes arrays, paths and plain values."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.arg):
            assert node.arg not in ("snakemake", "sm"), f"{path.name}: a parameter named {node.arg!r}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("sm", "snakemake"):
            raise AssertionError(f"{path.name}:{node.lineno} reads {node.value.id}.{node.attr}")


def test_an_old_module_path_runs_as_a_script(tmp_path: Path):
    """``python -m rrr.walltime`` (the old path of a moved command) runs the module at its new place."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "rrr.walltime", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage:" in done.stdout
    assert "rrr.walltime moved to rrr.pipeline.walltime" in done.stderr
