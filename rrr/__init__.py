"""rrr — "Right for the Right Reasons": explanation regularization for PyTorch models.

The method, at the top of the package: input gradients and masks (:mod:`rrr.explanations`), the RRR objective
(:mod:`rrr.losses`, its fused forms in :mod:`rrr.fused`), training (:mod:`rrr.training`), find-another-explanation
(:mod:`rrr.fae`), λ1 balancing (:mod:`rrr.balance`) and the paper's MLP (:mod:`rrr.models`), with the helpers they
use (:mod:`rrr.numerics`, :mod:`rrr.validation`, :mod:`rrr.atomic`, :mod:`rrr.allocator`). The chapters' code
sits below it: the paper's experiments in :mod:`rrr.paper`, the thesis's adversarial chapter in
:mod:`rrr.adversarial`, its other chapters in :mod:`rrr.extras`, datasets in :mod:`rrr.data`, figures in
:mod:`rrr.plots`. What the workflow needs to run and judge itself is in :mod:`rrr.pipeline` and is not exported here.
The names below are imported on first use (PEP 562), so ``import rrr.pipeline.claims`` (which the workflow
reads while it parses) does not pay for importing torch; type checkers and IDEs see them through the imports under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rrr import _moved

if TYPE_CHECKING:  # what the lazy exports below resolve to, for type checkers and IDEs
    from rrr.balance import balance_l1
    from rrr.explanations import GRADIENT_KINDS, input_gradients, largest_gradient_mask
    from rrr.extras.diverse import train_diverse_models
    from rrr.fae import FAERound, explanation_mask, find_another_explanation
    from rrr.losses import RRRTerms, l2_params, loss_terms, rrr_loss
    from rrr.models import MLP, concat_stacks, load_model, mlp, mlp_stack, save_model, smooth_mlp, stack, unstack
    from rrr.numerics import TrainingDivergedError, TrainingExplodingWarning, check_finite
    from rrr.training import History, accuracy, fit, predict_proba

_EXPORTS = {
    "GRADIENT_KINDS": "rrr.explanations",
    "MLP": "rrr.models",
    "FAERound": "rrr.fae",
    "History": "rrr.training",
    "RRRTerms": "rrr.losses",
    "TrainingDivergedError": "rrr.numerics",
    "TrainingExplodingWarning": "rrr.numerics",
    "accuracy": "rrr.training",
    "balance_l1": "rrr.balance",
    "concat_stacks": "rrr.models",
    "check_finite": "rrr.numerics",
    "explanation_mask": "rrr.fae",
    "find_another_explanation": "rrr.fae",
    "fit": "rrr.training",
    "input_gradients": "rrr.explanations",
    "l2_params": "rrr.losses",
    "largest_gradient_mask": "rrr.explanations",
    "load_model": "rrr.models",
    "loss_terms": "rrr.losses",
    "mlp": "rrr.models",
    "mlp_stack": "rrr.models",
    "predict_proba": "rrr.training",
    "rrr_loss": "rrr.losses",
    "save_model": "rrr.models",
    "smooth_mlp": "rrr.models",
    "stack": "rrr.models",
    "train_diverse_models": "rrr.extras.diverse",
    "unstack": "rrr.models",
}
__all__ = sorted(_EXPORTS)
_moved.install()  # the chapters' old module names (rrr.cnn, rrr.hessian, ...) still import, with a warning
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rrr' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
