"""Figure 14: FGSM transfer — every model's accuracy on every model's FGSM examples vs ε, per dataset."""

from adv_figures import transfer_figure_and_table

from rrr.jobs import log_to

log_to(snakemake.log[0])  # noqa: F821 (injected by Snakemake)
transfer_figure_and_table(snakemake)  # noqa: F821
