"""Dataset layer: acquisition with checksums and the paper's datasets as numpy arrays.

Names are re-exported lazily (PEP 562) so that ``python -m rrr.data.acquire`` does not
import its own module twice, and ``import rrr.data`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "acquire": ["DATASETS", "ChecksumError", "CorruptDataError", "DataError", "DatasetSpec",
                "FileSpec", "MissingDataError", "fetch", "sha256sum", "verify"],
    "idx": ["read_idx"],
    "toy_color": ["corner_mask", "generate_toy_color", "rule1_holds", "rule2_holds",
                  "top_middle_mask"],
    "decoy_mnist": ["add_decoy_swatches", "load_mnist", "make_decoy_mnist", "digit_shade"],
    "iris_cancer": ["IRIS_COLUMNS", "iris_cancer_split", "iris_cancer_splits", "iris_mask",
                    "iris_out", "load_iris_cancer"],
    "newsgroups": ["load_newsgroups", "tfidf_features"],
    "toy2d": ["sine_boundary_2d", "three_class_2d", "two_class_2d"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
