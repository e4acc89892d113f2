"""Decoy-MNIST experiment helpers (rrr.paper.decoy_mnist) and the figures of
Figures 1, 6, 10 (Decoy MNIST) and 11 on small synthetic inputs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import rrr
import rrr.paper.decoy_mnist as dme
from rrr.data import add_decoy_swatches

LIME = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2, "num_samples": 100, "batch_size": 100,
        "top_labels": 2, "hide_color": 1}


@pytest.mark.parametrize(("value", "label"), [(1000, "1e3"), (1e-4, "1e-4"), (1.0, "1e0"), (1e8, "1e8"), (250, "250")])
def test_l1_label_names_powers_of_ten_by_exponent(value, label):
    assert dme.l1_label(value) == label


def test_a_stack_s_explanation_mask_in_chunks_matches_each_model_alone():
    x = torch.rand(50, 12) * 255
    model = rrr.mlp_stack(12, 3, seeds=[0, 1, 2], hidden=(8, 5))
    mask = rrr.explanation_mask(model, x, cutoff=0.5, chunk=7)
    assert mask.shape == (3, 50, 12) and mask.dtype == torch.bool
    for s in range(3):
        assert torch.equal(mask[s], rrr.explanation_mask(rrr.unstack(model, s), x, cutoff=0.5))


def test_decoy_class_reads_the_digit_from_the_swatch_shade():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, size=40)
    digits = rng.integers(0, 200, size=(40, 784), dtype=np.uint8)
    x, swatch = add_decoy_swatches(digits, y, seed=1, randomize_shade=False)
    np.testing.assert_array_equal(dme.decoy_class(x, swatch), y)


def test_fooled_example_is_the_first_error_that_predicts_the_decoy():
    probs = np.eye(10)[[1, 2, 3, 4, 5]]  # predictions 1..5
    labels = np.array([1, 7, 9, 0, 5])  # rows 1, 2, 3 are wrong
    decoys = np.array([1, 0, 3, 4, 5])  # row 2 is the first wrong one predicted as its decoy
    assert dme.fooled_example(probs, labels, decoys) == 2
    with pytest.raises(ValueError, match="ignores the swatch"):
        dme.fooled_example(probs, labels, np.zeros(5, dtype=int))


def test_fooled_example_skips_a_swatch_shaded_like_the_background():
    probs = np.eye(10)[[9, 8, 9, 7]]  # predictions 9, 8, 9, 7
    labels = np.array([7, 8, 1, 7])  # rows 0 and 2 are wrong
    decoys = np.array([9, 0, 9, 7])  # ... and both predict their decoy's digit, 9
    shades = np.array([30, 255, 30, 230])  # a 9's swatch shade is 30 grey levels from the background
    assert dme.fooled_example(probs, labels, decoys, shades, min_contrast=0) == 0
    assert dme.fooled_example(probs, labels, decoys, shades, min_contrast=30) == 0
    shades[2] = 55  # same predictions, the second candidate's swatch now stands out
    assert dme.fooled_example(probs, labels, decoys, shades, min_contrast=35) == 2
    with pytest.raises(ValueError, match="within 60 grey levels of the background"):
        dme.fooled_example(probs, labels, decoys, shades, min_contrast=60)


def test_swatch_shade_reads_the_swatch_grey_level():
    blank = np.zeros((3, 784), dtype=np.uint8)
    x, swatch = add_decoy_swatches(blank, np.array([9, 0, 3]), seed=0, randomize_shade=False)
    np.testing.assert_array_equal(dme.swatch_shade(x, swatch), [30, 255, 180])


@pytest.mark.parametrize(("shade", "separate"), [(30, False), (35, True), (55, True)])
def test_quickshift_merges_a_swatch_within_the_contrast_threshold_into_the_background(shade, separate):
    """The reason for decoy_mnist.fig06_min_swatch_contrast = 35: at the reference's quickshift settings a
    swatch 30 grey levels from the background shares its superpixel with background pixels, 35 or more does not."""
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    x = np.zeros((28, 28))
    x[10:18, 12:16] = 255  # a stroke, so the image is not blank but for the swatch
    x[:4, 24:] = shade
    segment = SegmentationAlgorithm("quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=0)
    segments = segment(dme.to_lime_image(x.ravel()))
    swatch_segments = set(segments[:4, 24:].ravel())
    background = x == 0
    assert bool(swatch_segments & set(segments[background].ravel())) is not separate


def test_lime_image_round_trip_inverts_grey_levels_into_three_channels():
    x = np.arange(784) % 256
    image = dme.to_lime_image(x)
    assert image.shape == (28, 28, 3) and image[0, 0, 0] == 255 and np.all(image[..., 1] == image[..., 0])
    np.testing.assert_array_equal(dme.from_lime_images(image[None]), x[None].astype(float))


def test_lime_image_finds_the_region_a_model_looks_at():
    """A 'model' whose class-1 probability follows the brightness of the top-left quadrant: LIME's
    class-1 weights must be largest there. Hidden superpixels become 254 (hide_color 1 in the
    inverted image, as in the reference), brighter than the digit, so the weights are negative."""
    block = np.arange(28) // 7
    img = (4 * block[:, None] + block[None]) * 16.0  # 16 grey blocks: quickshift finds 7 superpixels

    def predict(flat: np.ndarray) -> np.ndarray:
        score = flat.reshape(-1, 28, 28)[:, :14, :14].mean(axis=(1, 2)) / 255.0
        p1 = 1 / (1 + np.exp(-8 * (score - 0.3)))
        return np.column_stack([1 - p1, p1])

    explanation = dme.lime_image_explanation(predict, img.ravel(), LIME, labels=(0, 1), random_state=0)
    assert set(explanation.local_exp) == {0, 1}
    weights = dme.superpixel_weights(explanation, 1)
    assert weights.shape == (28, 28)
    row, col = np.unravel_index(weights.argmin(), weights.shape)
    assert row < 14 and col < 14 and weights.min() < 0
    assert np.abs(weights[22:]).max() < 0.2 * np.abs(weights).max()  # rows 22+ never reach the quadrant


def _fake_fae(n_rounds=3, n_l1=3, n_seeds=2):
    rng = np.random.default_rng(0)
    cached = {
        "l1": np.array([1e3, 1e4, 1e5][:n_l1]),
        "images": rng.integers(0, 256, size=(4, 784)),
        "gradients": rng.normal(size=(n_rounds, n_l1, n_seeds, 4, 784)),
    }
    acc = {k: rng.uniform(0.5, 1, size=(n_rounds, n_l1, n_seeds)) for k in ("train", "test")}
    return cached, acc


def test_figures_draw_from_small_inputs():
    from rrr.plots.decoy_mnist import crossval_figure, fae_figure, fooled_example_figure
    from rrr.plots.toy2d import gradient_figure

    cached, acc = _fake_fae()
    fig = fae_figure(cached, acc, [0.96, 0.95])
    assert len(fig.axes) == 3 * 3 + 3
    plt.close(fig)

    l1 = 10.0 ** np.arange(-2, 4)
    ratio = np.outer(l1, [0.008, 0.01])
    accs = {k: np.full((6, 2), 0.9) for k in ("train", "validation", "test")}
    fig = crossval_figure(l1, accs, ratio, {1e3: 0.96})
    assert fig.axes[0].get_xscale() == "log"
    plt.close(fig)

    rng = np.random.default_rng(1)
    fooled = {"index": 3, "image": rng.integers(0, 256, 784), "label": 7, "predicted": 3, "decoy": 3,
              "probabilities": np.full(10, 0.1), "gradient_predicted": rng.normal(size=784),
              "gradient_true": rng.normal(size=784), "segments": np.arange(784).reshape(28, 28) // 98,
              "lime_predicted": rng.normal(size=(28, 28)), "lime_true": rng.normal(size=(28, 28))}
    fig = fooled_example_figure(fooled)
    assert len(fig.axes) == 6
    plt.close(fig)

    axes = np.linspace(0, 1, 10)
    toy = {"region_x": axes, "region_y": axes, "regions": (axes[None] > axes[:, None]).astype(int),
           "points": np.column_stack([np.repeat(axes[::3], 4), np.tile(axes[::3], 4)]),
           "data_x": rng.uniform(size=(20, 2)), "data_y": rng.integers(0, 2, 20),
           "prob": rng.normal(size=(2, 16, 2)), "log_prob": rng.normal(size=(2, 16, 2)),
           "sum_log_prob": rng.normal(size=(16, 2))}
    fig = gradient_figure([toy], ["two classes"])
    assert len(fig.axes) == 6
    plt.close(fig)
