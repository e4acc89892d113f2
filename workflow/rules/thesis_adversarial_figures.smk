# The adversarial chapter's figures (14-22) and Table 2, from the attacks of rules/thesis_adversarial_train_attack.smk,
# and its targets: every figure whose datasets are on goes into `thesis`, `all` and `thesis_adversarial`.
from rrr.pipeline.reference import load as load_reference

for _number, _attack, _slug in ((14, "fgsm", "fgsm-transfer"), (18, "tgsm", "tgsm-transfer")):

    rule:
        name:
            f"thesis_fig{_number}"
        input:
            metrics=adv_input(f"thesis_fig{_number}", ADV_DATASETS, rules.adversarial_evaluate.output.metrics),
            reference=ADV_REFERENCE_FILE,
        output:
            figure_report("thesis", _number, _slug, csv=True),
        log:
            f"{RESULTS}/logs/thesis_fig{_number}.log",
        conda:
            "../../envs/rrr.yaml"
        params:
            datasets=ADV_DATASETS,
            switched_off=ADV_SWITCHED_OFF,
            figure=dict(  # rrr.adversarial.transfer.transfer_figure_and_table's settings
                attack=_attack,
                sources=ADV_SOURCES,
                references=ADV_REFERENCE,
                models=ADV_FIGURE_MODELS,
                insensitive=ADV_INSENSITIVE_SHOWN,
                epsilons=ADV["evaluation"]["epsilons"],
            ),
        script:
            f"../scripts/thesis_fig{_number}.py"


rule thesis_fig15:
    """Figure 15: "both defenses" (double backprop + adversarial training) on the second dataset."""
    input:
        metrics=adv_input("thesis_fig15", [ADV["figures"]["second_dataset"]], rules.adversarial_evaluate.output.metrics),
    output:
        figure_report("thesis", 15, "both-defenses"),
    log:
        f"{RESULTS}/logs/thesis_fig15.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        dataset=ADV["figures"]["second_dataset"],
        source=ADV["datasets"][ADV["figures"]["second_dataset"]]["source"],
        models=["normal", "advtrain", "doubleback", "both"],
        epsilons=ADV["evaluation"]["epsilons"],
    script:
        "../scripts/thesis_fig15.py"


rule thesis_fig16:
    """Figure 16: which MNIST FGSM examples fool normal, advtrain and doubleback (Venn)."""
    input:
        transfer=adv_input("thesis_fig16", ["mnist"], rules.adversarial_evaluate.output.transfer),
    output:
        figure_report("thesis", 16, "fgsm-venn"),
    log:
        f"{RESULTS}/logs/thesis_fig16.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        eps=ADV["datasets"]["mnist"]["venn_eps"],
        models=["normal", "advtrain", "doubleback"],
    script:
        "../scripts/thesis_fig16.py"


rule thesis_fig19:
    """Figure 19: distributions of loss-gradient norms and log-probabilities per defense (MNIST)."""
    input:
        statistics=adv_input("thesis_fig19", ["mnist"], rules.adversarial_evaluate.output.statistics),
    output:
        figure_report("thesis", 19, "gradient-distributions"),
    log:
        f"{RESULTS}/logs/thesis_fig19.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        models=ADV_FIGURE_MODELS,
        insensitive=ADV_INSENSITIVE_SHOWN,
        floor=ADV["evaluation"]["gradient_floor"],
    script:
        "../scripts/thesis_fig19.py"


rule thesis_fig20:
    """Figure 20: JSMA turning MNIST 0s and 1s into every digit."""
    input:
        grids=adv_input("thesis_fig20", ["mnist"], rules.adversarial_attack_grids.output[0], jsma=True),
    output:
        figure_report("thesis", 20, "jsma-grids"),
    log:
        f"{RESULTS}/logs/thesis_fig20.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        models=adv_figure_models(ADV["figures"]["jsma_models"]),
        rows=[0, 1],
    script:
        "../scripts/thesis_fig20.py"


rule thesis_fig21:
    """Figure 21: iterated-TGSM confusion grids per dataset and model."""
    input:
        grids=adv_input("thesis_fig21", ADV_DATASETS, rules.adversarial_attack_grids.output[0]),
    output:
        figure_report("thesis", 21, "iterated-tgsm-grids"),
    log:
        f"{RESULTS}/logs/thesis_fig21.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_DATASETS,
        switched_off=ADV_SWITCHED_OFF,
        sources=ADV_SOURCES,
        models=adv_figure_models(ADV["figures"]["tgsm_models"]),
        insensitive=ADV_INSENSITIVE_SHOWN,
    script:
        "../scripts/thesis_fig21.py"


rule thesis_fig22:
    """Figure 22: input gradients ∇Σ_k log p̂ of each defense on one test image per class 0–5."""
    input:
        statistics=adv_input("thesis_fig22", ADV_DATASETS, rules.adversarial_evaluate.output.statistics),
    output:
        figure_report("thesis", 22, "input-gradients"),
    log:
        f"{RESULTS}/logs/thesis_fig22.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_DATASETS,
        switched_off=ADV_SWITCHED_OFF,
        sources=ADV_SOURCES,
        models=ADV_FIGURE_MODELS,
        insensitive=ADV_INSENSITIVE_SHOWN,
    script:
        "../scripts/thesis_fig22.py"


# Table 2's stimuli come from the table2.datasets that are on (the others are left out, and the caption says so).
ADV_TABLE2_DATASETS = [d for d in ADV["table2"]["datasets"] if d in ADV_DATASETS]


rule thesis_table2:
    """Table 2: the human study scored from a CSV of answers (paper values beside; empty without answers)."""
    input:
        stimuli=adv_input(
            "thesis_table2",
            ADV_TABLE2_DATASETS or ADV["table2"]["datasets"],
            rules.adversarial_table2_stimuli.output[0],
        ),
        answers=ADV["table2"]["answers"] or [],
        reference=ADV_REFERENCE_FILE,
    output:
        table_report("thesis", 2, "human-study"),
    log:
        f"{RESULTS}/logs/thesis_table2.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_TABLE2_DATASETS,
        switched_off=[d for d in ADV["table2"]["datasets"] if d not in ADV_DATASETS],
        paper=load_reference("adversarial", REFERENCE_DIR)["human_study"],
    script:
        "../scripts/thesis_table2.py"


# Every figure goes into `thesis` (and `all`) when the datasets it needs are on; the others are left out with a
# log line and nothing is trained for them (a figure with a row per dataset just drops the rows of those off).
ADV_TARGET_RULES = [
    (rules.thesis_fig14, adv_wanted("thesis_fig14", ADV_DATASETS)),
    (rules.thesis_fig15, adv_wanted("thesis_fig15", [ADV["figures"]["second_dataset"]])),
    (rules.thesis_fig16, adv_wanted("thesis_fig16", ["mnist"])),
    (rules.thesis_fig18, adv_wanted("thesis_fig18", ADV_DATASETS)),
    (rules.thesis_fig19, adv_wanted("thesis_fig19", ["mnist"])),
    (rules.thesis_fig20, adv_wanted("thesis_fig20", ["mnist"], jsma=True)),
    (rules.thesis_fig21, adv_wanted("thesis_fig21", ADV_DATASETS)),
    (rules.thesis_fig22, adv_wanted("thesis_fig22", ADV_DATASETS)),
    (rules.thesis_table2, adv_wanted("thesis_table2", ADV_TABLE2_DATASETS or ADV["table2"]["datasets"])),
]
ADV_TARGETS = [path for rule, wanted in ADV_TARGET_RULES if wanted for path in rule.output]
if ADV["lambda_grid"]["enabled"]:
    ADV_TARGETS += expand(rules.adversarial_lambda_selection.output[0], dataset=ADV_DATASETS)
THESIS_TARGETS += ADV_TARGETS


rule thesis_adversarial:
    """The adversarial chapter alone (every figure and table of it whose datasets are on)."""
    input:
        ADV_TARGETS,


localrules:
    thesis_adversarial,
