"""Table 1: LIME vs input-gradient seconds per explanation, ours next to the paper's."""


import pandas as pd

from rrr.pipeline.jobs import read_json, start_job, write_csv

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
rows = []
for dataset, path in zip(sm.params.datasets, sm.input):
    t = read_json(path)
    paper = sm.params.paper[dataset]
    paper_lime, paper_grad = paper["lime"], paper["gradient"]
    rows.append(
        {
            "dataset": dataset,
            "dimension": t["dimension"],
            "explainer": t["explainer"],
            "lime_seconds": t["lime_seconds_per_explanation"],
            "gradient_seconds": t["gradient_seconds_per_explanation"],
            "speedup": t["lime_seconds_per_explanation"] / t["gradient_seconds_per_explanation"],
            "n_lime": t["n_lime"],
            "n_gradient": t["n_gradient"],
            "paper_lime_seconds": round(paper_lime, 6),
            "paper_gradient_seconds": round(paper_grad, 6),
            "paper_speedup": round(paper_lime / paper_grad),
        }
    )
write_csv(pd.DataFrame(rows), sm.output[0], index=False, float_format="%.6g")
