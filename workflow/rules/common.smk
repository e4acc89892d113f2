import os
from pathlib import Path

from snakemake.exceptions import WorkflowError


from rrr.pipeline.claims import claim_switches, load_claims, switched_on
from rrr.data.acquire import DATASETS, DataError, fetch
from rrr.pipeline.fingerprint import code_fingerprint
from rrr.pipeline.provenance import config_hash, git_state

# The config, checked once against every schema by the Snakefile (rrr.pipeline.configcheck), reaches the rules
# one way: through these names, a section each, never as config[...] in a rules file.
PROFILE = config["profile"]
THREADS = config["threads"]
# Where every model trains (cpu | cuda): a param of each rule that trains or computes input gradients, whose script
# checks it at its start (rrr.validation.resolve_device); with cuda those rules ask SLURM for a GPU (GPU below).
DEVICE = config["device"]
GPU = 1 if DEVICE == "cuda" else 0
MODELS_PER_JOB = config["models_per_job"]
TABLE1_REPEATS = config["table1_repeats"]
DATA_MIRROR = config.get("data_mirror")
T2D = config["toy2d"]
TC = config["toy_color"]
NG = config["newsgroups"]
IC = config["iris_cancer"]
DM = config["decoy_mnist"]
TX = config["thesis_extras"]
ADV = config["adversarial"]
ADV_DEVICE = ADV["device"] or DEVICE  # the chapter's own override; null follows the top-level device
ADV_STACK = ADV["stack"]  # one stacked training job per dataset (rule adversarial_train_stacked)
CLUSTER = config["cluster"]
RESULTS = f"results/{PROFILE}"
RAW = "results/raw"


# Plots and bookkeeping are cheap: never send them to a cluster node.
localrules:
    claims,
    paper,
    thesis,


# The paper's longest chain of dependent jobs is θ0 (decoy_mnist_train) and the find-another-explanation rounds after
# it, then the λ1 sweep (python -m rrr.pipeline.walltime): on a few cores they start first, the short jobs fill in
# around them. Snakemake does not pass a job's priority on to the jobs it waits on, so those upstream of the chain
# carry it too: MNIST's acquisition (acquire_priority) and decoy_mnist_data.
DM_CHAIN_PRIORITY = 10
ACQUIRE_PRIORITY = {"mnist": DM_CHAIN_PRIORITY}  # raw datasets the longest chain waits on


def acquire_priority(wildcards):
    """acquire_dataset's priority: that of the chain waiting on the dataset (ACQUIRE_PRIORITY), else 0."""
    return ACQUIRE_PRIORITY.get(wildcards.dataset, 0)


def per_attempt(value):
    """A resource that grows with each retry (profiles/slurm sets `retries`): ``value`` (a number, or a function of
    the wildcards) times the attempt, 1 on the first run. A job killed for memory or time then asks for more."""
    if callable(value):
        return lambda wildcards, attempt: value(wildcards) * attempt
    return lambda wildcards, attempt: value * attempt


def cluster_resources(gpu):
    """The SLURM placement of a job from config `cluster` (slurm_partition, slurm_account), only the keys set: a job
    that asks for a GPU (``gpu`` > 0) goes to gpu_partition, else partition. The Snakefile adds them to every rule
    beside its own resources, so the profile's default-resources (memory, time) are never replaced."""
    partition = (CLUSTER.get("gpu_partition") or CLUSTER.get("partition")) if gpu else CLUSTER.get("partition")
    placement = {"slurm_partition": partition, "slurm_account": CLUSTER.get("account")}
    return {key: value for key, value in placement.items() if value}


def data_mirror():
    """The mirror folder: RRR_DATA_MIRROR wins over the config's data_mirror."""
    return os.environ.get("RRR_DATA_MIRROR") or DATA_MIRROR or ""


def raw_dataset_identity(wildcards):
    """What a raw dataset is: its files and their checksums (rrr.data.acquire.DATASETS). Where the bytes come from
    (RRR_DATA_MIRROR or data_mirror, however the path is spelled, or the download) is read by the script and is
    no param: a change there must not rerun the job and delete data that passed its checksum."""
    spec = DATASETS.get(wildcards.dataset)
    if spec is None:
        return []  # the script names the known datasets
    return [f"{v.name} {v.algorithm}:{v.checksum}" for f in spec.files for v in f.variants]


def acquire_raw(dataset, dest, log):
    """acquire_dataset's job: place one raw dataset in results/raw/<dataset>/, checksum-verified. It runs in
    snakemake's own process (a `run:` block), so what identifies the job is its rule text and its checksums, never
    the mtime of a script: a fresh checkout or an edit of the acquisition code does not delete verified data."""
    mirror = data_mirror()
    try:
        paths = fetch(dataset, Path(dest), Path(mirror) if mirror else None)
    except DataError as error:  # a message for the user, not a traceback
        Path(log).write_text(f"error: {error}\n")
        raise WorkflowError(f"error: {error}") from None
    Path(log).write_text(f"from {mirror or 'the download URLs'}:\n" + "".join(f"{p}\n" for p in paths))


def figure(paper, number, slug):
    """Paths of one figure, PNG and vector PDF, by the project's naming scheme."""
    stem = f"{RESULTS}/figures/{paper}-fig{number:02d}-{slug}"
    return [f"{stem}.png", f"{stem}.pdf"]


def figure_html(paper, number, slug):
    """The HTML rendering beside a figure's PNG and PDF (the 20 Newsgroups word explanations)."""
    return f"{RESULTS}/figures/{paper}-fig{number:02d}-{slug}.html"


def table(paper, number, slug):
    return f"{RESULTS}/tables/{paper}-table{number}-{slug}.csv"


def _in_report(path, paper, caption, subcategory):
    """``path`` flagged for `snakemake --report`: the caption report/<caption>.rst, under "Paper" or "Thesis"."""
    return report(path, caption=f"../report/{caption}.rst", category=paper.capitalize(), subcategory=subcategory)


def figure_report(paper, number, slug, part=None, csv=False):
    """A figure rule's outputs, [PNG, PDF] (figure()), the PNG in the report under Figure <number> with the caption
    report/<paper>-fig<NN>.rst (<paper>-fig<NN>-<part>.rst: one part of a figure that several rules draw, Figure 10).
    ``csv``: the figure's numbers too, tables/<paper>-fig<NN>-<slug>.csv, in the report beside the PNG."""
    png, pdf = figure(paper, number, slug)
    caption = f"{paper}-fig{number:02d}" + (f"-{part}" if part else "")
    outputs = [_in_report(png, paper, caption, f"Figure {number}"), pdf]
    if csv:
        numbers = f"{RESULTS}/tables/{paper}-fig{number:02d}-{slug}.csv"
        outputs.append(_in_report(numbers, paper, caption, f"Figure {number}"))
    return outputs


def figure_report_html(paper, number, slug):
    """figure_report()'s PNG and PDF by name, and the HTML rendering (figure_html()): the 20 Newsgroups figures'
    scripts write output.png, output.pdf and output.html."""
    png, pdf = figure_report(paper, number, slug)
    return {"png": png, "pdf": pdf, "html": figure_html(paper, number, slug)}


def table_report(paper, number, slug):
    """A table rule's output (table()), in the report under Table <number>, caption report/<paper>-table<N>.rst."""
    return _in_report(table(paper, number, slug), paper, f"{paper}-table{number}", f"Table {number}")


CLAIMS_DIR = "config/claims"
REFERENCE_DIR = "config/reference"
CLAIMS_FILES = sorted(str(p) for p in Path(CLAIMS_DIR).glob("*.yaml"))
CLAIMS = load_claims(CLAIMS_DIR, REFERENCE_DIR)


def paper_value(claim_id):
    """The number a paper states for one claim (config/claims/*.yaml)."""
    return CLAIMS[claim_id]["paper_value"]


# adversarial.only (config/adversarial-paper.yaml): the config builds the adversarial chapter alone, so only its
# claims are judged (the others would retrain the paper in this profile's results folder).
ADV_ONLY = ADV["only"]
ADVERSARIAL_CLAIMS_FILE = "thesis_adversarial.yaml"


def claim_left_out(claim):
    """Why a claim is left out of claims.csv in this config (None: it is judged)."""
    if ADV_ONLY and claim["file"] != ADVERSARIAL_CLAIMS_FILE:
        return "adversarial.only is on: this config builds the adversarial chapter alone"
    if not switched_on(claim, config):
        return f"config switch {' and '.join(claim_switches(claim))} is off"
    return None


CLAIMS_LEFT_OUT = {cid: reason for cid, claim in CLAIMS.items() if (reason := claim_left_out(claim))}
ACTIVE_CLAIMS = [cid for cid in CLAIMS if cid not in CLAIMS_LEFT_OUT]


def claim_metric_files():
    """The metrics files (results/{profile}/metrics/<experiment>/<condition>.json) the active claims read."""
    keys = ("metric", "minus", "null_metric", "null_minus")
    names = {CLAIMS[c][k].split(":")[0] for c in ACTIVE_CLAIMS for k in keys if CLAIMS[c].get(k)}
    return sorted(f"{RESULTS}/metrics/{name}.json" for name in names)


# Targets collected by the paper/thesis rules; each rules/*.smk file appends its own.
PAPER_TARGETS = []
THESIS_TARGETS = []


# What provenance.json would record about the code and the config. As params they are rerun triggers: a new
# commit, an edit of the tree or another config rewrites provenance.json on the next invocation, as does any
# rewrite of claims.csv (its input).
PROVENANCE_GIT = git_state(Path(workflow.basedir).parent)


def provenance_configfiles():
    """The config files read, in order (--configfile overlays, then config/config.yaml); Snakemake makes the
    overlays' paths absolute, so those inside the working directory are given relative to it again."""
    relative = [os.path.relpath(f) for f in workflow.configfiles]
    return [r if not r.startswith("..") else str(f) for r, f in zip(relative, workflow.configfiles)]


# --- Trained models, shared between clones and users (snakemake --cache, $SNAKEMAKE_OUTPUT_CACHE) --------------------
# Each training step is marked `cache: "omit-software"`. Its outputs are keyed by its script, its params (the code
# fingerprint, rrr.pipeline.fingerprint, among them) and its inputs' provenance, not by the conda env, which the
# default run does not use. Snakemake refuses a benchmark directive beside the cache directive, so the script writes
# the record itself (start_job(record=...)) as one more output.
def trained(record, *, sidecars=True, **outputs):
    """The outputs of a cached training step. ``outputs`` (all named, as the cache requires: a list of models is
    given as one output per file, numbered), the sidecar ``<path>.json`` of each model or array file (rrr.load_model
    and load_npz read it, so the cache must restore it; ``sidecars=False`` for files written without one, the
    adversarial CNNs), and ``record``, the job's benchmark record results/<profile>/benchmarks/<record>.tsv."""
    declared = set(outputs.values())
    beside = {
        f"{name}_json": f"{path}.json"
        for name, path in outputs.items()
        if sidecars and path.endswith((".pt", ".npz")) and f"{path}.json" not in declared
    }
    return {**outputs, **beside, "record": f"{RESULTS}/benchmarks/{record}.tsv"}


def numbered(name, paths):
    """``paths`` as named outputs ``<name>0``, ``<name>1``, ... (a cached rule may not declare a list); a script
    reads them back in order: ``[getattr(snakemake.output, f"<name>{i}") for i in range(n)]``."""
    return {f"{name}{i}": path for i, path in enumerate(paths)}
