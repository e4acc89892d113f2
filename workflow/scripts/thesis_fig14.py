"""Figure 14: FGSM transfer — every model's accuracy on every model's FGSM examples vs ε, per dataset."""

from rrr.adversarial.transfer import transfer_figure_and_table

from rrr.jobs import start_job

transfer_figure_and_table(start_job(snakemake))  # noqa: F821 (injected by Snakemake)
