"""The Figures 14 and 18 of the adversarial chapter: the transfer curves, plus the CSV of the transfer matrices."""

from pathlib import Path

import numpy as np
import pandas as pd

from rrr import reference as reference_files
from rrr.data.adversarial import LABELS, MODELS, reference_transfer
from rrr.jobs import read_json, write_csv
from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import transfer_figure


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
