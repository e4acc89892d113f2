"""Table 2: the human study scored from the configured answers CSV (none yet: the table lists the
stimuli's conditions with empty scores beside the thesis's numbers)."""

from pathlib import Path

import pandas as pd
from rrr.adversarial.table2 import table2

from rrr.pipeline.jobs import start_job, write_csv

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
key = pd.concat([pd.read_csv(Path(d) / "answer_key.csv") for d in sm.input.stimuli])
answers = pd.read_csv(sm.input.answers) if sm.input.answers else None
write_csv(table2(key, answers, sm.params.paper), sm.output[0], index=False)
