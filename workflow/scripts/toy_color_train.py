"""Train the Toy-Color MLPs of one condition (reference §4.1 TC-expl / TC-neither), one per seed, stacked.

plain: A = 0. rule1: A = top middle, so the model must use rule 1 (corners). rule2: A = corners.
neither: A = both, with the much larger λ1 of the reference.
"""

import torch

from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.paper.toy_color import condition_masks, rule_scores
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
condition = sm.wildcards.condition
d = load_npz(sm.input.data)
feature_mask = condition_masks()[condition]
mask = None if feature_mask is None else torch.as_tensor(feature_mask).expand(*d["X"].shape)
l1 = sm.params.l1
model, history, metrics = train_replicates(
    d["X"], d["y"], mask, seeds=sm.params.seeds, l1=l1, train=sm.params.train,
    evaluate={"test": (d["Xt"], d["yt"])}, callback=progress, device=device,
)
metrics.update(rule_scores(model, d["Xt"][: sm.params.score_rows], sm.params.cutoff))
metrics.update(condition=condition, annotated_features=int(0 if feature_mask is None else feature_mask.sum()))
save_model(model, sm.output.model, seeds=sm.params.seeds, l1=l1, train=dict(sm.params.train), condition=condition,
           code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
