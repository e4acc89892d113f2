"""Write results/{profile}/claims.csv from config/claims.yaml and the computed metrics."""

from pathlib import Path

import yaml

from rrr.claims import claims_table
from rrr.experiments import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
claims = yaml.safe_load(Path(sm.input.claims).read_text())
for claim_id in claims.keys() - set(sm.params.claim_ids):
    print(f"left out: {claim_id} (config switch {claims[claim_id]['requires']} is off)")
table = claims_table({c: claims[c] for c in sm.params.claim_ids}, Path(sm.params.metrics_root))
tmp = Path(sm.output[0]).with_suffix(".tmp")
table.to_csv(tmp, index=False)
tmp.replace(sm.output[0])
