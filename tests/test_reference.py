"""config/reference/*.yaml, the papers' numbers the figures draw, and rrr.pipeline.reference that reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from rrr.pipeline import reference
from rrr.adversarial.transfer import reference_transfer
from rrr.data.adversarial import MODELS

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "config" / "reference"
NAMES = ("adversarial", "decoy_mnist", "iris_cancer", "toy_color")


def _numbers(node: object) -> list[float]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _numbers(v)]
    if isinstance(node, list):
        return [x for v in node for x in _numbers(v)]
    assert isinstance(node, (int, float)) and not isinstance(node, bool), node
    return [float(node)]


def test_every_reference_file_loads():
    assert sorted(p.stem for p in ROOT.glob("*.yaml")) == sorted(NAMES)
    assert reference.ROOT == ROOT
    for name in NAMES:
        data = reference.load(name, ROOT)
        assert data and all(np.isfinite(_numbers(data))), name
        assert reference.load(name) == data  # the default root is the repository's config/reference


def test_a_parsed_file_is_read_once_per_version_and_handed_out_as_a_copy(tmp_path: Path):
    file = tmp_path / "exp.yaml"
    file.write_text("acc: [0.5, 0.75]\n")
    first = reference.load("exp", tmp_path)
    first["acc"][0] = 99.0  # a caller's change does not reach the cache
    assert reference.load("exp", tmp_path) == {"acc": [0.5, 0.75]}
    file.write_text("acc: [0.25, 0.75, 1.0]\n")  # an edited file is read afresh (size and mtime are the key)
    assert reference.value("exp:acc.0", tmp_path) == 0.25
    for name in NAMES:  # libyaml's loader, where PyYAML has it, reads the same values as the pure-Python one
        text = (ROOT / f"{name}.yaml").read_text()
        assert reference.parse_yaml(text) == yaml.safe_load(text)


def test_values_by_dotted_path():
    assert reference.value("adversarial:mnist.fgsm.normal.normal.3", ROOT) == 29
    assert reference.value("adversarial:mnist.fgsm.normal.normal.3/n_images", ROOT) == 0.11328125
    assert reference.value("adversarial:epsilons.7", ROOT) == 0.7
    assert reference.value("decoy_mnist:crossval.test.3", ROOT) == 0.9603  # λ1 = 1e3
    assert reference.value("decoy_mnist:crossval.test.-4", ROOT) == 0.5554
    assert reference.value("iris_cancer:fae.iris_usage.0", ROOT) == 0.3044
    assert reference.value("iris_cancer:lime_model.iris_usage", ROOT) == 0.2026
    assert reference.value("toy_color:extra_data_plain_needs.pro_rule1.0.95", ROOT) == 28.54  # a key with a dot
    assert reference.value("toy_color:stored_models_test_accuracy.sizes.10", ROOT) == 10000


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("adversarial:mnist.fgsm.normal.nobody.3", r"adversarial\.yaml: no 'nobody' under mnist\.fgsm\.normal"),
        ("adversarial:mnist.fgsm.normal.normal.8", r"adversarial\.yaml: '8' is not an index of the 8-item list"),
        ("decoy_mnist:crossval.test.9", r"decoy_mnist\.yaml: no '9' under crossval\.test"),
        ("iris_cancer:fae.iris_usage", r"iris_cancer\.yaml: 'fae\.iris_usage' is not a number"),
        ("iris_cancer:lime_model.iris_usage.0", r"iris_cancer\.yaml: lime_model\.iris_usage is a number"),
    ],
)
def test_a_wrong_path_is_a_clear_error(spec: str, message: str):
    with pytest.raises(KeyError, match=message):
        reference.value(spec, ROOT)


def test_a_wrong_file_or_spec_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        reference.value("nowhere:a.b", ROOT)
    with pytest.raises(ValueError, match="<name>:<dotted.path>"):
        reference.value("decoy_mnist", ROOT)


def test_reference_transfer_as_before():
    """The grids read from adversarial.yaml equal the string grid they replaced (spot values computed
    from it before it was removed)."""
    grid = reference_transfer("mnist", "fgsm", ROOT)
    assert grid.shape == (5, 5, 8)
    assert grid[0, 0, 0] == 0.99609375  # normal on normal, ε = 0: 255/256
    assert grid[4, 4, 3] == 0.27734375  # doubleback on doubleback, ε = 0.3: 71/256
    assert grid[0, 1, 7] == 0.98828125  # normal on distilled, ε = 0.7: 253/256
    assert grid[2, 3, 4] == 0.125  # advtrain on insensitive, ε = 0.4: 32/256
    assert grid[3, 3, 5] == 0.00390625  # insensitive on insensitive, ε = 0.5: 1/256
    assert np.array_equal(grid, reference_transfer("mnist", "fgsm"))  # default root
    for dataset in ("mnist", "notmnist", "svhn"):
        for attack in ("fgsm", "tgsm"):
            g = reference_transfer(dataset, attack, ROOT)
            assert g.shape == (len(MODELS), len(MODELS), 8) and ((g >= 0) & (g <= 1)).all()
    with pytest.raises(KeyError, match="no reference grid for mnist jsma"):
        reference_transfer("mnist", "jsma", ROOT)


def test_every_grid_row_has_one_count_per_epsilon():
    data = reference.load("adversarial", ROOT)
    assert data["n_images"] == 256 and data["epsilons"] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    for dataset in ("mnist", "notmnist", "svhn"):
        for attack in ("fgsm", "tgsm"):
            rows = data[dataset][attack]
            assert list(rows) == list(MODELS) and all(list(r) == list(MODELS) for r in rows.values())
            for sources in rows.values():
                for counts in sources.values():
                    assert len(counts) == 8 and all(isinstance(c, int) and 0 <= c <= 256 for c in counts)
