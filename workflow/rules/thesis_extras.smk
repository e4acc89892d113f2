L1L2_NORMS = ["none", "l1_norm", "l2_norm"]  # the input-gradient norm penalized; l1/l2 alone mean λ1/λ2
SQUARES_KINDS = ["normal", "diverse"]


# --- App. C, Figure 13: simultaneous find-another-explanation ------------------------------
rule fae2d_train:
    """Sequential FAE (paper MLP) vs pairs trained jointly with the cos² penalty, on the quadrant problem."""
    output:
        **trained(
            "thesis-fae2d",
            first_model=f"{RESULTS}/models/thesis-fae2d/sequential-round0.pt",
            second_model=f"{RESULTS}/models/thesis-fae2d/sequential-round1.pt",
            joint_model=f"{RESULTS}/models/thesis-fae2d/joint.pt",
            sequential=f"{RESULTS}/metrics/thesis-fae2d/sequential.json",
            joint=f"{RESULTS}/metrics/thesis-fae2d/joint.json",
            surfaces=f"{RESULTS}/gradients/thesis-fae2d/surfaces.npz",
        ),
    log:
        f"{RESULTS}/logs/fae2d_train.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
    params:
        device=DEVICE,
        cfg=TX["fae2d"],
        surface_points=121,
    script:
        "../scripts/fae2d_train.py"


rule thesis_fig13:
    """Thesis Figure 13: sequential FAE saturates A; the jointly trained pair ends up orthogonal."""
    input:
        surfaces=rules.fae2d_train.output.surfaces,
        sequential=rules.fae2d_train.output.sequential,
        joint=rules.fae2d_train.output.joint,
    output:
        figure_report("thesis", 13, "simultaneous-fae"),
    log:
        f"{RESULTS}/logs/thesis_fig13.log",
    conda:
        "../../envs/rrr.yaml"
    script:
        "../scripts/thesis_fig13.py"


# --- App. I.2, Figure 24: gradient vs Hessian regularization -------------------------------
rule hessian_train:
    """10-unit softplus MLPs on a 2D problem with input-gradient or exact input-Hessian penalties over λ;
    Rifai et al.'s estimator against the exact penalty."""
    output:
        **trained(
            "thesis-hessian",
            gradient_model=f"{RESULTS}/models/thesis-hessian/gradient.pt",
            hessian_model=f"{RESULTS}/models/thesis-hessian/hessian.pt",
            gradient=f"{RESULTS}/metrics/thesis-hessian/gradient.json",
            hessian=f"{RESULTS}/metrics/thesis-hessian/hessian.json",
            estimator=f"{RESULTS}/metrics/thesis-hessian/estimator.json",
            estimator_csv=f"{RESULTS}/metrics/thesis-hessian/estimator.csv",
            surfaces=f"{RESULTS}/gradients/thesis-hessian/surfaces.npz",
        ),
    log:
        f"{RESULTS}/logs/hessian_train.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
    params:
        device=DEVICE,
        cfg=TX["hessian"],
        surface_points=161,
    script:
        "../scripts/hessian_train.py"


rule thesis_fig24:
    """Thesis Figure 24: log-odds level sets under gradient vs Hessian regularization, and the estimator check."""
    input:
        surfaces=rules.hessian_train.output.surfaces,
        gradient=rules.hessian_train.output.gradient,
        hessian=rules.hessian_train.output.hessian,
        estimator_csv=rules.hessian_train.output.estimator_csv,
    output:
        figure_report("thesis", 24, "hessian-regularization"),
    log:
        f"{RESULTS}/logs/thesis_fig24.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        shown=TX["hessian"]["shown_lambdas"],
    script:
        "../scripts/thesis_fig24.py"


# --- App. I.1, Figure 23: L1 vs L2 input-gradient regularization as a defence --------------
rule l1l2_data:
    """A seeded subset of the configured image dataset (thesis: CIFAR-10) as uint8 NCHW arrays."""
    input:
        f"{RAW}/{TX['l1l2']['dataset']}",
    output:
        f"{RESULTS}/data/thesis-l1l2-{TX['l1l2']['dataset']}.npz",
    log:
        f"{RESULTS}/logs/l1l2_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/thesis-l1l2-data.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        dataset=TX["l1l2"]["dataset"],
        n_train=TX["l1l2"]["n_train"],
        n_test=TX["l1l2"]["n_test"],
        seed=TX["l1l2"]["data_seed"],
    script:
        "../scripts/l1l2_data.py"


rule l1l2_train:
    """VGG-style nets with no, L1 or L2 input-gradient (double-backprop) penalty, every seed and λ."""
    input:
        data=rules.l1l2_data.output[0],
    output:
        **trained(
            "thesis-l1l2-train-{norm}",
            models=f"{RESULTS}/models/thesis-l1l2/{{norm}}.pt",
            models_meta=f"{RESULTS}/models/thesis-l1l2/{{norm}}.pt.json",
            metrics=f"{RESULTS}/metrics/thesis-l1l2/{{norm}}.json",
        ),
    log:
        f"{RESULTS}/logs/l1l2_train/{{norm}}.log",
    wildcard_constraints:
        norm="|".join(L1L2_NORMS),
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(4000),
    params:
        device=DEVICE,
        cfg={k: TX["l1l2"][k] for k in ("arch", "seeds", "lambdas", "l1_norm_factor", "train")},
    script:
        "../scripts/l1l2_train.py"


rule l1l2_attack:
    """White-box and transferred FGSM accuracy-loss matrices over every (norm, λ) pair of nets."""
    input:
        data=rules.l1l2_data.output[0],
        models=expand(rules.l1l2_train.output.models, norm=L1L2_NORMS),
        models_meta=expand(rules.l1l2_train.output.models_meta, norm=L1L2_NORMS),
    output:
        metrics=f"{RESULTS}/metrics/thesis-l1l2/fgsm.json",
        matrix=f"{RESULTS}/metrics/thesis-l1l2/fgsm-accuracy-loss.csv",
    log:
        f"{RESULTS}/logs/l1l2_attack.log",
    benchmark:
        f"{RESULTS}/benchmarks/thesis-l1l2-attack.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        cfg=TX["l1l2"],
    script:
        "../scripts/l1l2_attack.py"


rule thesis_fig23:
    """Thesis Figure 23: FGSM accuracy-loss matrices for L1 and L2 input-gradient regularization."""
    input:
        metrics=rules.l1l2_attack.output.metrics,
        clean=expand(rules.l1l2_train.output.metrics, norm=L1L2_NORMS),
    output:
        figure_report("thesis", 23, "l1-vs-l2-gradient-regularization"),
    log:
        f"{RESULTS}/logs/thesis_fig23.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        cfg=TX["l1l2"],
    script:
        "../scripts/thesis_fig23.py"


# --- App. L, Figure 25: find-another-explanation in a disentangled latent space ------------
rule squares_data:
    """The squares toy: size and background confounded in train, decoupled in two test sets."""
    output:
        f"{RESULTS}/data/thesis-squares.npz",
    log:
        f"{RESULTS}/logs/squares_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/extras-squares-data.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        seed=TX["squares"]["data_seed"],
        n_autoencoder=TX["squares"]["n_autoencoder"],
        n_train=TX["squares"]["n_train"],
        n_test=TX["squares"]["n_test"],
    script:
        "../scripts/squares_data.py"


rule squares_autoencoder:
    """The supervised-disentangled convolutional autoencoder, trained once and then frozen."""
    input:
        data=rules.squares_data.output[0],
    output:
        **trained(
            "thesis-squares-autoencoder",
            model=f"{RESULTS}/models/thesis-squares/autoencoder.pt",
            model_meta=f"{RESULTS}/models/thesis-squares/autoencoder.pt.json",
            metrics=f"{RESULTS}/metrics/thesis-squares/autoencoder.json",
        ),
    log:
        f"{RESULTS}/logs/squares_autoencoder.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
    params:
        device=DEVICE,
        cfg=TX["squares"]["autoencoder"],
    script:
        "../scripts/squares_autoencoder.py"


rule squares_train:
    """Normal MLPs (pixels, latents) or latent-space pairs trained with the cos² penalty, every seed."""
    input:
        data=rules.squares_data.output[0],
        autoencoder=rules.squares_autoencoder.output.model,
        autoencoder_meta=rules.squares_autoencoder.output.model_meta,
    output:
        **trained(
            "thesis-squares-{kind}",
            models=f"{RESULTS}/models/thesis-squares/{{kind}}.pt",
            metrics=f"{RESULTS}/metrics/thesis-squares/{{kind}}.json",
        ),
    log:
        f"{RESULTS}/logs/squares_train/{{kind}}.log",
    wildcard_constraints:
        kind="|".join(SQUARES_KINDS),
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
    params:
        device=DEVICE,
        cfg=TX["squares"],
    script:
        "../scripts/squares_train.py"


rule thesis_fig25:
    """Thesis Figure 25: the squares toy and the accuracies of a normal model vs two latent-space FAE models."""
    input:
        data=rules.squares_data.output[0],
        metrics=expand(rules.squares_train.output.metrics, kind=SQUARES_KINDS),
    output:
        figure_report("thesis", 25, "latent-space-fae"),
    log:
        f"{RESULTS}/logs/thesis_fig25.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        thesis_normal=paper_value("thesis_squares_normal_size_test"),
    script:
        "../scripts/thesis_fig25.py"


THESIS_TARGETS += rules.thesis_fig13.output
THESIS_TARGETS += rules.thesis_fig23.output
THESIS_TARGETS += rules.thesis_fig24.output
THESIS_TARGETS += rules.thesis_fig25.output
