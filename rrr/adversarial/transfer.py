"""The Figures 14 and 18 of the adversarial chapter: the transfer curves, plus the CSV of the transfer matrices, and
the reference's transfer grids they draw (here, not in :mod:`rrr.data.adversarial`: what trains a CNN must not depend
on config/reference, so that a change there reruns figures, not trainings)."""

from pathlib import Path

import numpy as np
import pandas as pd

from rrr import reference as reference_files
from rrr.data.adversarial import LABELS, MODELS
from rrr.jobs import read_json, write_csv
from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import transfer_figure


def reference_transfer(dataset: str, attack: str, root: str | Path | None = None) -> np.ndarray:
    """The reference's transfer grid ``accuracy[evaluated, source, eps]`` (models in :data:`MODELS`
    order, ε as the file's ``epsilons``) for dataset mnist/notmnist/svhn and attack fgsm/tgsm: the counts
    of ``<root>/adversarial.yaml`` (default: the repository's config/reference) over its ``n_images``."""
    data, file = reference_files.load("adversarial", root), reference_files.path("adversarial", root)
    rows = data[dataset].get(attack) if isinstance(data.get(dataset), dict) else None
    if not rows:
        raise KeyError(f"{file}: no reference grid for {dataset} {attack}")
    grid = np.full((len(MODELS), len(MODELS), len(data["epsilons"])), np.nan)
    for evaluated, sources in rows.items():
        for source, counts in sources.items():
            grid[MODELS.index(evaluated), MODELS.index(source)] = np.asarray(counts, float) / data["n_images"]
    if np.isnan(grid).any():
        raise KeyError(f"{file}: the {dataset} {attack} grid lacks a model pair or an ε")
    return grid


def transfer_figure_and_table(sm) -> None:
    use_style()
    p = sm.params
    metrics = {d: read_json(path) for d, path in zip(p.datasets, sm.input.metrics)}
    titles = {d: f"{LABELS[p.sources[d]]}\n({metrics[d]['batches_normal']} batches)" for d in p.datasets}
    root = Path(sm.input.reference).parent  # config/reference: the transfer grids of adversarial.yaml
    comparable = [float(e) for e in p.epsilons] == reference_files.load("adversarial", root)["epsilons"]
    references = {d: reference_transfer(p.references[d], p.attack, root) if p.references[d] and comparable else None
                  for d in p.datasets}
    # The reference's models by our names: its "insensitive" is the reading the figures show (p.insensitive).
    ours = [p.insensitive if m == "insensitive" else m for m in MODELS]
    fig = transfer_figure(metrics, titles, p.attack, p.models, p.epsilons, references, ours)
    save_figure(fig, sm.output[0], sm.output[1])
    rows = []
    for d in p.datasets:
        m, ref = metrics[d], references[d]
        for evaluated in p.models:
            for source in p.models:
                for e, eps in enumerate(p.epsilons):
                    values = np.asarray(m[f"{p.attack}_eps{eps:g}_{evaluated}_vs_{source}"])
                    reference = ref[ours.index(evaluated), ours.index(source), e] if ref is not None else np.nan
                    rows.append({"dataset": LABELS[p.sources[d]], "attack": p.attack, "evaluated": evaluated,
                                 "source": source, "eps": eps, "accuracy_mean": values.mean(),
                                 "accuracy_sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                                 "n_seeds": len(values), "n_images": m["n_attack"], "batches": m["batches_normal"],
                                 "thesis_reference": reference})
    write_csv(pd.DataFrame(rows), sm.output[2], index=False)
