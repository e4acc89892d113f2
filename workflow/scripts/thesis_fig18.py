"""Figure 18: TGSM (target y+1) transfer — every model's accuracy on every model's TGSM examples vs ε."""

from rrr.adversarial.transfer import transfer_figure_and_table

from rrr.jobs import start_job

transfer_figure_and_table(start_job(snakemake))  # noqa: F821 (injected by Snakemake)
