"""Write results/{profile}/provenance.json: the git state, config, package versions and machine of this run."""

import json
from pathlib import Path

from rrr.experiments import log_to
from rrr.provenance import collect

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
record = collect(sm.config, sm.params.configfiles, Path(sm.scriptdir).parents[1])  # workflow/scripts -> repo
print(json.dumps(record["git"], indent=2))
out = Path(sm.output[0])
tmp = out.with_suffix(".json.tmp")
tmp.write_text(json.dumps(record, indent=2) + "\n")
tmp.replace(out)
