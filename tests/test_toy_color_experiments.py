"""Toy Color experiment helpers: rule scores, annotation masks, sweep grids, data-need ratios, figure dots."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rrr import mlp, mlp_stack
from rrr.data import corner_mask, top_middle_mask
from rrr.paper.toy_color import (
    best_below,
    condition_masks,
    data_needed,
    extra_data_ratio,
    first_rows_masks,
    gradient_pixels,
    lime_pixels,
    log_grid,
    region_share,
    rule_scores,
    rule_shares,
    stacked_masks,
)

CORNER_PIXELS = [0, 4, 20, 24]
TOP_MIDDLE_PIXELS = [1, 2, 3]


def _gradient_on(pixels: list[int], channel: int = 0, value: float = 1.0) -> torch.Tensor:
    g = torch.zeros(75)
    for p in pixels:
        g[3 * p + channel] = value
    return g


def test_condition_masks_match_the_reference_entry_counts():
    masks = condition_masks()
    counts = {name: (0 if m is None else int(m.sum())) for name, m in masks.items()}
    assert counts == {"plain": 0, "rule1": 9, "rule2": 12, "neither": 21,
                      "anti_rule1": 12, "anti_rule2": 9, "pro_rule1": 63, "pro_rule2": 66}
    assert np.array_equal(masks["rule1"], top_middle_mask()) and np.array_equal(masks["rule2"], corner_mask())


def test_grids_are_the_reference_sweeps():
    counts = log_grid(0, 4, 50, integer=True)
    assert len(counts) == 45 and counts[0] == 1 and counts[-1] == 10000 and 51 in counts and 1048 in counts
    sizes = np.logspace(1, 4, 32).astype(int)
    assert sizes[:5].tolist() == [10, 12, 15, 19, 24] and sizes[-1] == 10000 and len(set(sizes)) == 32
    l1 = log_grid(-3, 3, 50)
    assert l1[0] == pytest.approx(1e-3) and l1[-1] == pytest.approx(1e3)


def test_first_rows_masks_annotate_only_the_first_n_rows():
    m = first_rows_masks([0, 2, 5], 4, corner_mask())
    assert m.shape == (3, 4, 75) and m.dtype == torch.bool
    assert m.any(dim=-1).tolist() == [[False] * 4, [True, True, False, False], [True] * 4]
    assert torch.equal(m[2, 0], torch.as_tensor(corner_mask()))


def test_stacked_masks_are_condition_major():
    m = stacked_masks(["plain", "pro_rule1"], n_seeds=2, n_rows=3)
    assert m.shape == (4, 3, 75)
    assert not m[:2].any() and bool((m[2:].sum(dim=-1) == 63).all())


def test_rule_shares_count_pixels_not_channels():
    corners = _gradient_on(CORNER_PIXELS)
    top = _gradient_on(TOP_MIDDLE_PIXELS, channel=2)
    # Two channels of one corner pixel still count as one pixel; one noise pixel dilutes the corners.
    mixed = _gradient_on([0, 4, 12]) + _gradient_on([0], channel=1)
    grads = torch.stack([corners, top, mixed, torch.zeros(75)])
    c, t = rule_shares(grads)
    assert c == pytest.approx(np.mean([1.0, 0.0, 2 / 3]))  # the all-zero example is left out
    assert t == pytest.approx(np.mean([0.0, 1.0, 0.0]))


def test_rule_shares_apply_the_cutoff_per_example():
    g = _gradient_on(CORNER_PIXELS) + _gradient_on(TOP_MIDDLE_PIXELS, value=0.5)
    c, t = rule_shares(g[None], cutoff=0.67)
    assert (c, t) == (pytest.approx(1.0), pytest.approx(0.0))
    c, t = rule_shares(g[None], cutoff=0.4)
    assert (c, t) == (pytest.approx(4 / 7), pytest.approx(3 / 7))


def _corner_only_model(model: torch.nn.Module) -> torch.nn.Module:
    """Zero the first layer's weights outside the corners, so every input gradient lives there."""
    first = model.net[0]
    keep = torch.as_tensor(corner_mask())
    with torch.no_grad():
        if first.weight.dim() == 2:  # nn.Linear: (out, in)
            first.weight[:, ~keep] = 0
        else:  # StackedLinear: (S, in, out)
            first.weight[:, ~keep, :] = 0
    return model


def test_rule_scores_of_a_model_that_only_sees_the_corners():
    x = torch.randint(0, 256, (20, 75)).float()
    single = rule_scores(_corner_only_model(mlp(75, 2, seed=0)), x)
    assert single["rule1_score"] == [pytest.approx(1.0)] and single["rule2_score"] == [pytest.approx(0.0)]
    stacked = rule_scores(_corner_only_model(mlp_stack(75, 2, [0, 1, 2])), x)  # shared x is broadcast
    assert np.allclose(stacked["rule1_score"], 1.0) and np.allclose(stacked["rule2_score"], 0.0)


def test_data_needed_and_the_notebook_ratio():
    sizes = [10, 100, 1000, 10000]
    normal, variant = [0.5, 0.6, 0.92, 0.99], [0.7, 0.93, 0.99, 1.0]
    assert data_needed(sizes, normal, 0.9) == 1000 and data_needed(sizes, normal, 0.995) is None
    assert extra_data_ratio(sizes, normal, variant, 0.9) == pytest.approx(10.0)
    assert extra_data_ratio(sizes, normal, variant, 0.995) is None


def test_best_below_is_per_seed_and_strict():
    acc = np.array([[0.5, 0.6], [0.9, 0.8], [0.99, 0.99]])  # (sizes, seeds)
    assert best_below([10, 92, 100], acc, 100).tolist() == [0.9, 0.8]
    with pytest.raises(ValueError, match="below 10"):
        best_below([10, 92, 100], acc, 10)


def test_figure_dots_for_gradients_and_lime():
    g = (_gradient_on([0]) + _gradient_on([7], value=0.5)).numpy()[None]
    assert np.flatnonzero(gradient_pixels(g, 0.67)[0]).tolist() == [0]
    w = np.zeros((1, 75))
    w[0, [0, 1, 2]] = [0.9, -0.8, 0.7]  # three channels of pixel 0
    w[0, [30, 60, 72]] = [0.6, 0.5, -0.4]
    w[0, 45] = 0.1  # the 7th feature: not drawn with top 6
    assert np.flatnonzero(lime_pixels(w, top=6)[0]).tolist() == [0, 10, 20, 24]


def test_region_share_of_selected_pixels():
    pixels = np.zeros((3, 25), dtype=bool)
    pixels[0, [0, 4, 12]] = True  # two corners and the center
    pixels[1, [1, 2]] = True
    assert region_share(pixels, corner_mask()).tolist() == pytest.approx([2 / 3, 0.0, 0.0])
    assert region_share(pixels, top_middle_mask()).tolist() == pytest.approx([0.0, 1.0, 0.0])
