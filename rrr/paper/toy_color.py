"""Toy Color bookkeeping: which rule a model uses, the annotation masks of the paper's
experiments, and their sweep grids (reference §2.4–2.6, §4.3).

A model "uses rule 1" when its large input gradients (M_0.67 of ∇ max p̂) sit on the four
corners, and "rule 2" when they sit on the three top-middle pixels. The rule scores are the
reference's ``rule1_score``/``rule2_score``: M_c collapsed to 5×5 pixels (a pixel counts if
any channel qualifies), the fraction of selected pixels in the region, averaged over examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from rrr.data.toy_color import SIDE, corner_mask, top_middle_mask
from rrr.explanations import input_gradients, largest_gradient_mask
from rrr.numerics import ArrayLike, as_tensor

N_PIXELS = SIDE * SIDE


def condition_masks() -> dict[str, np.ndarray | None]:
    """The per-row annotation A of every condition (bool, 75 wide), by the notebook's names.

    ``rule1``/``rule2`` are the models pushed *towards* rule 1/2 (A = the other rule's
    pixels); ``pro_rule*``/``anti_rule*`` are Figure 12's masks (reference §2.5).
    """
    corners, top_middle = corner_mask(), top_middle_mask()
    return {
        "plain": None,
        "rule1": top_middle,
        "rule2": corners,
        "neither": corners | top_middle,
        "anti_rule1": corners,
        "anti_rule2": top_middle,
        "pro_rule1": ~corners,
        "pro_rule2": ~top_middle,
    }


def log_grid(start: float, stop: float, num: int, *, integer: bool = False) -> np.ndarray:
    """``np.logspace(start, stop, num)``; with ``integer`` truncated to int and deduplicated,
    as the reference's annotation-count sweep (45 unique values for 0, 4, 50)."""
    grid = np.logspace(start, stop, num)
    return np.unique(grid.astype(int)) if integer else grid


def first_rows_masks(counts: Sequence[int], n_rows: int, feature_mask: np.ndarray) -> torch.Tensor:
    """Bool ``(len(counts), n_rows, D)``: model s annotates ``feature_mask`` on its first ``counts[s]`` rows."""
    rows = torch.arange(n_rows)[None, :, None] < torch.as_tensor(list(counts))[:, None, None]
    return rows & torch.as_tensor(feature_mask)[None, None, :]


def pixel_mask(mask: torch.Tensor) -> torch.Tensor:
    """Collapse a (…, 75) feature mask to (…, 25) pixels: a pixel counts if any channel does."""
    return mask.reshape(*mask.shape[:-1], N_PIXELS, 3).any(dim=-1)


def _region(feature_mask: np.ndarray) -> torch.Tensor:
    return pixel_mask(torch.as_tensor(feature_mask))


def rule_shares(grads: torch.Tensor, cutoff: float = 0.67) -> tuple[np.ndarray, np.ndarray]:
    """Mean fraction of M_cutoff pixels on the corners (rule 1) and on the top middle (rule 2).

    ``grads`` is (…, N, 75); the result has shape (…) (one value per stacked model).
    Examples without any selected pixel (an all-zero gradient) are left out of the mean.
    """
    selected = pixel_mask(largest_gradient_mask(grads, cutoff)).to(torch.float64)
    total = selected.sum(dim=-1)
    shares = []
    for region in (_region(corner_mask()), _region(top_middle_mask())):
        inside = (selected * region.to(torch.float64)).sum(dim=-1)
        per_example = torch.where(total > 0, inside / total.clamp(min=1), torch.nan)
        shares.append(torch.nanmean(per_example, dim=-1).numpy())
    return shares[0], shares[1]


def rule_scores(model: nn.Module, x: ArrayLike, cutoff: float = 0.67) -> dict[str, list[float]]:
    """``rule1_score`` and ``rule2_score`` per (stacked) model on the inputs ``x`` (N, 75)."""
    x_t = as_tensor(x)
    n_models = getattr(model, "n_models", None)
    if n_models is not None and x_t.dim() == 2:
        x_t = x_t.expand(n_models, *x_t.shape)
    corners, top_middle = rule_shares(input_gradients(model, x_t, "max_prob"), cutoff)
    return {"rule1_score": np.atleast_1d(corners).tolist(), "rule2_score": np.atleast_1d(top_middle).tolist()}


def gradient_pixels(gradients: np.ndarray, cutoff: float = 0.67) -> np.ndarray:
    """(n, 25) bool: pixels with a channel in M_cutoff of the gradient (the reference's white dots)."""
    return pixel_mask(largest_gradient_mask(as_tensor(gradients), cutoff)).numpy()


def lime_pixels(weights: np.ndarray, top: int) -> np.ndarray:
    """(n, 25) bool: pixels holding one of LIME's ``top`` largest-|weight| features (paper Fig. 2)."""
    weights = np.asarray(weights)
    order = np.argsort(-np.abs(weights), axis=-1)[..., :top]
    chosen = np.zeros(weights.shape, dtype=bool)
    np.put_along_axis(chosen, order, np.take_along_axis(weights, order, axis=-1) != 0, axis=-1)
    return pixel_mask(torch.as_tensor(chosen)).numpy()


def region_share(pixels: np.ndarray, feature_mask: np.ndarray) -> np.ndarray:
    """Per example, the fraction of selected pixels (n, 25) that lie in a region (a 75-wide feature mask)."""
    region = _region(feature_mask).numpy()
    pixels = np.asarray(pixels, dtype=bool)
    return (pixels & region).sum(axis=-1) / np.maximum(pixels.sum(axis=-1), 1)


def data_needed(sizes: Sequence[int], accuracy: Sequence[float], level: float) -> float | None:
    """The first training size whose accuracy exceeds ``level`` (None if none does)."""
    above = np.flatnonzero(np.asarray(accuracy) > level)
    return float(np.asarray(sizes)[above[0]]) if above.size else None


def extra_data_ratio(
    sizes: Sequence[int], reference: Sequence[float], variant: Sequence[float], level: float
) -> float | None:
    """How many times more data the ``reference`` curve needs than ``variant`` to exceed
    ``level`` (the notebook's "extra data the normal model needs", reference §4.3)."""
    needed_ref, needed_var = data_needed(sizes, reference, level), data_needed(sizes, variant, level)
    if needed_ref is None or needed_var is None:
        return None
    return needed_ref / needed_var


def best_below(sizes: Sequence[int], accuracy: np.ndarray, limit: int) -> np.ndarray:
    """Per seed, the best accuracy over training sizes below ``limit``; ``accuracy`` is (sizes, seeds)."""
    below = np.asarray(sizes) < limit
    if not below.any():
        raise ValueError(f"No training size below {limit}; add one to the config's less_data sizes.")
    return np.asarray(accuracy)[below].max(axis=0)


def stacked_masks(names: Sequence[str], n_seeds: int, n_rows: int) -> torch.Tensor:
    """Bool ``(len(names)·n_seeds, n_rows, 75)`` of the named conditions, condition-major."""
    masks: Mapping[str, np.ndarray | None] = condition_masks()
    rows = [np.zeros(3 * N_PIXELS, bool) if masks[n] is None else masks[n] for n in names]
    per_model = torch.as_tensor(np.repeat(np.stack(rows), n_seeds, axis=0))
    return per_model[:, None, :].expand(-1, n_rows, -1)
