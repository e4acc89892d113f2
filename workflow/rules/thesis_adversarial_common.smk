# Helpers of rules/thesis_adversarial.smk (which defines the ADV_* names they read): model names of the figures
# and what a figure needs of the datasets that are switched on.
from snakemake.logging import logger


def adv_figure_models(names):
    """Model names of the config's figure lists; "insensitive" is the reading the figures show."""
    return [ADV_INSENSITIVE_SHOWN if name == "insensitive" else name for name in names]


def adv_missing(datasets, jsma=False):
    """Why a figure that needs ``datasets`` (one row or panel each; their JSMA grids if ``jsma``) cannot be built,
    or None if it can."""
    off = [d for d in datasets if d not in ADV_DATASETS]
    if off:
        return f"it needs {', '.join(off)}, switched off (adversarial.datasets.<name>.enabled)"
    if not datasets:
        return "every adversarial dataset is switched off (adversarial.datasets.<name>.enabled)"
    if jsma and not set(datasets) <= set(ADV["figures"]["jsma_datasets"]):
        return f"it shows JSMA on {', '.join(datasets)}, not in adversarial.figures.jsma_datasets"
    return None


def adv_input(target, datasets, path, jsma=False):
    """An input function: ``path`` for each of ``datasets``, or, if one is off, an error naming the switch. Such a
    figure is left out of `thesis` and `all`; this stops only an explicit request, before anything is trained."""

    def paths(wildcards):
        missing = adv_missing(datasets, jsma)
        if missing:
            raise ValueError(f"{target} cannot be built: {missing}. Nothing is trained for it; switch them on.")
        return expand(path, dataset=datasets)

    return paths


def adv_wanted(target, datasets, jsma=False):
    """Whether a figure goes into `thesis` and `all`: only when every dataset it needs is on (else a log line)."""
    missing = adv_missing(datasets, jsma)
    if missing:
        logger.info(f"{target} is left out of `thesis` and `all`: {missing}")
    return not missing
