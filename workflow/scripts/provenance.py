"""Write results/{profile}/provenance.json: git state, config, code hashes, package versions and machine of the run."""

import json
from pathlib import Path

from rrr.pipeline.jobs import start_job, write_text
from rrr.pipeline.provenance import collect

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
record = collect(sm.config, sm.params.configfiles, Path(sm.scriptdir).parents[1], code=sm.params.rules_code)  # repo
print(json.dumps(record["git"], indent=2))
write_text(json.dumps(record, indent=2) + "\n", sm.output[0])
