"""Code fingerprints (rrr.pipeline.fingerprint): what counts as a change of behaviour, and which modules a script runs."""

from __future__ import annotations

from pathlib import Path

from rrr.pipeline.fingerprint import PACKAGE_DIR, code_closure, code_fingerprint, module_fingerprint, normalized_source

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"

BASE = '''"""A module."""

import numpy as np


def scale(x, factor=2):
    """Multiply."""
    return np.asarray(x) * factor  # the work
'''


def closure_names(script: Path) -> set[str]:
    return {p.relative_to(REPO).as_posix() for p in code_closure(script)}


def test_layout_comments_and_docstrings_are_not_behaviour():
    same = '''import numpy as np
# a comment


def scale(
    x,
    factor=2,
):
    """Multiply x by a factor: documented differently."""

    return np.asarray(x) * factor
'''
    assert normalized_source(same) == normalized_source(BASE)
    assert normalized_source("a = 'x'\n") == normalized_source('a = "x"\n')


def test_a_change_of_what_the_code_does_is_behaviour():
    for changed in (BASE.replace("factor=2", "factor=3"), BASE.replace("* factor", "+ factor"),
                    BASE + "\nCONSTANT = 1\n", BASE.replace("return", "print(x)\n    return")):
        assert normalized_source(changed) != normalized_source(BASE), changed


def test_fstrings_are_read_as_their_source_on_every_python():
    # Python 3.12 splits an f-string into tokens, 3.11 keeps one; both give the literal text.
    assert normalized_source('x = f"{a!r}-{b:>3}"\n') == 'x = f"{a!r}-{b:>3}" ;'
    assert normalized_source('x = f"{a}"\n') != normalized_source('x = f"{b}"\n')


def test_a_script_runs_the_modules_it_imports_and_no_others():
    assert "rrr/losses.py" in closure_names(SCRIPTS / "decoy_mnist_train.py")
    adversarial = closure_names(SCRIPTS / "adversarial_train.py")
    assert "rrr/adversarial/defenses.py" in adversarial and "rrr/losses.py" not in adversarial
    # The papers' numbers (config/reference) are read by figures and claims: a change to their reader retrains nothing.
    for script in ("adversarial_data.py", "adversarial_train.py", "decoy_mnist_train.py"):
        assert "rrr/pipeline/reference.py" not in closure_names(SCRIPTS / script), script
    figure = closure_names(SCRIPTS / "paper_fig10_iris_cancer.py")
    assert "rrr/plots/iris_cancer.py" in figure and "rrr/training.py" not in figure
    assert "rrr/adversarial/transfer.py" in closure_names(SCRIPTS / "thesis_fig14.py")


def test_a_name_the_package_re_exports_brings_only_its_module(tmp_path: Path):
    script = tmp_path / "uses_gradients.py"
    script.write_text("from rrr import input_gradients\nimport rrr\n")
    modules = {p.relative_to(PACKAGE_DIR).as_posix() for p in code_closure(script) if p != script}
    assert modules == {"explanations.py", "validation.py"}  # not every module rrr/__init__.py names


def test_the_fingerprint_follows_a_helper_script(tmp_path: Path):
    (tmp_path / "helper.py").write_text(BASE)
    script = tmp_path / "job.py"
    script.write_text("from helper import scale\nprint(scale(1))\n")
    before = code_fingerprint(script)
    (tmp_path / "helper.py").write_text(BASE.replace("# the work", "# reworded"))
    assert code_fingerprint(script) == before
    (tmp_path / "helper.py").write_text(BASE.replace("factor=2", "factor=5"))
    assert code_fingerprint(script) != before


def test_module_fingerprints_name_real_modules():
    assert len(module_fingerprint("rrr.data.acquire")) == 16
    try:
        module_fingerprint("rrr.no_such_module")
    except ValueError as error:
        assert "rrr.no_such_module" in str(error)
    else:
        raise AssertionError("an unknown module must be an error")


def test_a_script_with_a_syntax_error_is_named(tmp_path: Path):
    script = tmp_path / "broken.py"
    script.write_text("def f(:\n")
    try:
        code_fingerprint(script)
    except SyntaxError as error:
        assert error.filename == str(script)
    else:
        raise AssertionError("a syntax error must not pass")


def test_a_module_moved_with_its_imports_keeps_its_fingerprint(tmp_path: Path):
    """The fingerprint follows what the code does, not where it lives: a helper renamed, and the import that names
    it, change nothing; a change of what it does still does."""
    (tmp_path / "helper.py").write_text(BASE)
    script = tmp_path / "job.py"
    script.write_text("from helper import scale\nprint(scale(1))\n")
    before = code_fingerprint(script)
    (tmp_path / "helper.py").rename(tmp_path / "moved_helper.py")
    script.write_text("from moved_helper import scale\nprint(scale(1))\n")
    assert code_fingerprint(script) == before
    script.write_text("from moved_helper import scale as times\nprint(times(1))\n")
    assert code_fingerprint(script) != before  # another name bound: another program text
