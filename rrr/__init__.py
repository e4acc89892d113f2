"""rrr — "Right for the Right Reasons": explanation regularization for PyTorch models.

Public API: input gradients and masks (:mod:`rrr.explanations`), the RRR objective
(:mod:`rrr.losses`), training (:mod:`rrr.training`), find-another-explanation
(:mod:`rrr.fae`), λ1 balancing (:mod:`rrr.balance`) and the paper's MLP (:mod:`rrr.models`).
The names below are imported on first use (PEP 562), so ``import rrr.claims`` (which the workflow
reads while it parses) does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "stack": "rrr.models",
    "train_diverse_models": "rrr.diverse",
    "unstack": "rrr.models",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rrr' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
