"""Figure 18: TGSM (target y+1) transfer — every model's accuracy on every model's TGSM examples vs ε."""

from adv_figures import transfer_figure_and_table

transfer_figure_and_table(snakemake)  # noqa: F821 (injected by Snakemake)
