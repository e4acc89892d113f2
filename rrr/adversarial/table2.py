"""Score the thesis's human study (Table 2) from a CSV of answers.

Usable on its own by a lab that ran the study with the stimuli of `adversarial_table2_stimuli`:

    python -m rrr.adversarial.table2 ANSWERS.csv KEY.csv [KEY.csv ...] -o table2.csv

ANSWERS.csv has one row per subject and stimulus: subject, dataset, order, most_plausible,
second_most_plausible (class labels as in answer_key.csv's *_label columns, or N/A).
Per dataset and model:

* human_fooled — share of answers whose most plausible label is the adversarial target;
* mistake_reasonable — share of answers that rate the target plausible (first or second choice)
  or call the image unrecognizable (N/A as first choice), the thesis's definition (Table 2 caption);
* mistake_reasonable_given_not_fooled — the same among answers whose first choice is not the
  target (the text's reading, "when they did not consider the target the most plausible label");
* p_unreasonable_vs_normal — Fisher's exact test of unreasonable-answer counts against the
  normal model's (the thesis reports p = 0.07 on MNIST and 0.08 on SVHN for the gradient-
  regularized model).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from rrr.pipeline import reference as reference_files
from rrr.pipeline.jobs import write_csv

NA = {"n/a", "na", "none", ""}


SCORES = ["dataset", "model", "n_answers", "human_fooled", "mistake_reasonable",
          "mistake_reasonable_given_not_fooled", "p_unreasonable_vs_normal"]


def _norm(label: object) -> str:
    return "n/a" if pd.isna(label) or str(label).strip().lower() in NA else str(label).strip().lower()


def score(answers: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, model) with the Table 2 percentages (see the module docstring)."""
    merged = answers.merge(key, on=["dataset", "order"], how="inner", validate="many_to_one")
    target = merged["target_label"].map(_norm)
    first, second = merged["most_plausible"].map(_norm), merged["second_most_plausible"].map(_norm)
    merged["fooled"] = first == target
    merged["reasonable"] = merged["fooled"] | (second == target) | (first == "n/a")
    rows = []
    for (dataset, model), g in merged.groupby(["dataset", "model"], sort=False):
        not_fooled = g[~g["fooled"]]
        rows.append({"dataset": dataset, "attack": g["attack"].iloc[0], "model": model, "n_answers": len(g),
                     "human_fooled": 100 * g["fooled"].mean(), "mistake_reasonable": 100 * g["reasonable"].mean(),
                     "mistake_reasonable_given_not_fooled":
                         100 * not_fooled["reasonable"].mean() if len(not_fooled) else np.nan,
                     "unreasonable": int((~g["reasonable"]).sum())})
    table = pd.DataFrame(rows)
    table["p_unreasonable_vs_normal"] = np.nan
    for _, g in table.groupby("dataset"):
        normal = g[g["model"] == "normal"]
        if normal.empty:
            continue
        a, n_a = int(normal["unreasonable"].iloc[0]), int(normal["n_answers"].iloc[0])
        for i, row in g[g["model"] != "normal"].iterrows():
            b, n_b = int(row["unreasonable"]), int(row["n_answers"])
            table.loc[i, "p_unreasonable_vs_normal"] = fisher_exact([[a, n_a - a], [b, n_b - b]])[1]
    return table.drop(columns="unreasonable")


def thesis_table2(root: str | Path | None = None) -> dict:
    """The thesis's Table 2 in %, ``{dataset: {model: {human_fooled, mistake_reasonable}}}``, from
    ``<root>/adversarial.yaml`` (default: the repository's config/reference)."""
    return reference_files.load("adversarial", root)["human_study"]


def table2(key: pd.DataFrame, answers: pd.DataFrame | None, paper: Mapping | None = None) -> pd.DataFrame:
    """Table 2 for the given stimuli: our scores (empty without answers) beside the thesis's (``paper``, as
    :func:`thesis_table2` returns it; default: read from the repository's config/reference)."""
    paper = thesis_table2() if paper is None else paper
    models = key[["dataset", "attack", "model"]].drop_duplicates()
    ours = score(answers, key) if answers is not None and len(answers) else pd.DataFrame(columns=SCORES)
    table = models.merge(ours.drop(columns="attack", errors="ignore"), on=["dataset", "model"], how="left")
    table["n_answers"] = pd.to_numeric(table["n_answers"]).fillna(0).astype(int)
    for column in ("human_fooled", "mistake_reasonable"):
        table[f"paper_{column}"] = [paper.get(d, {}).get(m, {}).get(column, np.nan)
                                    for d, m in zip(table["dataset"], table["model"])]
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers")
    parser.add_argument("keys", nargs="+", help="answer_key.csv of each dataset's stimuli")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--reference", help="folder of adversarial.yaml (default: the repository's config/reference)")
    args = parser.parse_args(argv)
    key = pd.concat([pd.read_csv(k) for k in args.keys])
    write_csv(table2(key, pd.read_csv(args.answers), thesis_table2(args.reference)), args.out, index=False)


if __name__ == "__main__":
    main()
