"""The public API is a contract with users' own code: what ``import rrr`` exports, and old names that still work."""

from __future__ import annotations

import importlib
import sys

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
