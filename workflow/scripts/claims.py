"""Write results/{profile}/claims.csv from config/claims/*.yaml and the computed metrics."""

from pathlib import Path

from rrr.pipeline.claims import claims_table, headline, load_claims
from rrr.pipeline.jobs import start_job, write_csv

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
claims = load_claims(Path(sm.params.claims_dir), sm.params.reference_dir)
for claim_id in sorted(claims.keys() - set(sm.params.claim_ids)):
    print(f"left out: {claim_id} ({sm.params.left_out.get(claim_id, 'not in this config')})")
table = claims_table({c: claims[c] for c in sm.params.claim_ids}, Path(sm.params.metrics_root), sm.config)
print(headline(table["verdict"]))
write_csv(table, sm.output[0], index=False)
