"""Figure 14: FGSM transfer — every model's accuracy on every model's FGSM examples vs ε, per dataset."""

from rrr.adversarial.transfer import transfer_figure_and_table
from rrr.pipeline.jobs import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
transfer_figure_and_table(dict(zip(sm.params.datasets, sm.input.metrics)), sm.input.reference, sm.output,
                          **sm.params.figure)
