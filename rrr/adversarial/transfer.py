"""The Figures 14 and 18 of the adversarial chapter: the transfer curves, plus the CSV of the transfer matrices, and
the reference's transfer grids they draw (here, not in :mod:`rrr.data.adversarial`: what trains a CNN must not depend
on config/reference, so that a change there reruns figures, not trainings)."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rrr.pipeline import reference as reference_files
from rrr.data.adversarial import LABELS, MODELS
from rrr.pipeline.jobs import read_json, write_csv
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


def transfer_figure_and_table(
    metrics_paths: Mapping[str, str | Path],
    reference_file: str | Path,
    outputs: Sequence[str | Path],
    *,
    attack: str,
    models: Sequence[str],
    epsilons: Sequence[float],
    sources: Mapping[str, str],
    references: Mapping[str, str | None],
    insensitive: str,
) -> None:
    """Draw the transfer curves of ``attack`` for each dataset's metrics file (``metrics_paths``: dataset → path)
    beside the reference's grids (``reference_file``, config/reference/adversarial.yaml; ``references``: dataset →
    the reference's dataset name or None), and write ``outputs``: PNG, PDF and the CSV of the transfer matrices.
    ``sources`` names each dataset's data, ``insensitive`` the reading of "insensitive" the figure shows."""
    use_style()
    datasets = list(metrics_paths)
    metrics = {d: read_json(path) for d, path in metrics_paths.items()}
    titles = {d: f"{LABELS[sources[d]]}\n({metrics[d]['batches_normal']} batches)" for d in datasets}
    root = Path(reference_file).parent  # config/reference: the transfer grids of adversarial.yaml
    comparable = [float(e) for e in epsilons] == reference_files.load("adversarial", root)["epsilons"]
    grids = {d: reference_transfer(references[d], attack, root) if references[d] and comparable else None  # type: ignore[arg-type]
             for d in datasets}
    # The reference's models by our names: its "insensitive" is the reading the figures show.
    ours = [insensitive if m == "insensitive" else m for m in MODELS]
    fig = transfer_figure(metrics, titles, attack, models, epsilons, grids, ours)
    save_figure(fig, outputs[0], outputs[1])
    rows = []
    for d in datasets:
        m, ref = metrics[d], grids[d]
        for evaluated in models:
            for source in models:
                for e, eps in enumerate(epsilons):
                    values = np.asarray(m[f"{attack}_eps{eps:g}_{evaluated}_vs_{source}"])
                    reference = ref[ours.index(evaluated), ours.index(source), e] if ref is not None else np.nan
                    rows.append({"dataset": LABELS[sources[d]], "attack": attack, "evaluated": evaluated,
                                 "source": source, "eps": eps, "accuracy_mean": values.mean(),
                                 "accuracy_sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                                 "n_seeds": len(values), "n_images": m["n_attack"], "batches": m["batches_normal"],
                                 "thesis_reference": reference})
    write_csv(pd.DataFrame(rows), outputs[2], index=False)
