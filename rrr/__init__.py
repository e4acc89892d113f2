"""rrr — "Right for the Right Reasons": explanation regularization for PyTorch models.

Public API: input gradients and masks (:mod:`rrr.explanations`), the RRR objective
(:mod:`rrr.losses`), training (:mod:`rrr.training`), find-another-explanation
(:mod:`rrr.fae`), λ1 balancing (:mod:`rrr.balance`) and the paper's MLP (:mod:`rrr.models`).
"""

from rrr.balance import balance_l1
from rrr.diverse import train_diverse_models
from rrr.explanations import GRADIENT_KINDS, input_gradients, largest_gradient_mask
from rrr.fae import FAERound, explanation_mask, find_another_explanation
from rrr.losses import RRRTerms, l2_params, loss_terms, rrr_loss
from rrr.models import MLP, load_model, mlp, mlp_stack, save_model, stack, unstack
from rrr.training import History, TrainingDivergedError, accuracy, fit, predict_proba

__all__ = [
    "GRADIENT_KINDS",
    "MLP",
    "FAERound",
    "History",
    "RRRTerms",
    "TrainingDivergedError",
    "accuracy",
    "balance_l1",
    "explanation_mask",
    "find_another_explanation",
    "fit",
    "input_gradients",
    "l2_params",
    "largest_gradient_mask",
    "load_model",
    "loss_terms",
    "mlp",
    "mlp_stack",
    "predict_proba",
    "rrr_loss",
    "save_model",
    "stack",
    "train_diverse_models",
    "unstack",
]
__version__ = "0.1.0"
