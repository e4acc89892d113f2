"""Progress as training and downloads run: the record every trainer's callback gets, and the log lines."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import rrr
from rrr.adversarial.defenses import objective_for, train_cnn
from rrr.data import acquire
from rrr.data.acquire import DATASETS, DatasetSpec, FileSpec, fetch
from rrr.extras.autoencoder import ConvAutoencoder, fit_autoencoder
from rrr.extras.diverse import train_diverse_models
from rrr.extras.hessian import fit_input_penalty
from rrr.models import mlp_stack, smooth_mlp
from rrr.pipeline.replicates import train_replicates
from rrr.progress import Progress, ProgressLogger, TransferProgress, log_progress


@pytest.fixture
def toy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100, 6, generator=g)
    y = (x[:, 0] > 0).long()
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[:, 1] = True
    return x, y, mask


def _params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _check_records(records: list[Progress], trainer: str, epochs: int, per_epoch: int) -> None:
    assert [r.trainer for r in records] == [trainer] * epochs
    assert [r.epoch for r in records] == list(range(1, epochs + 1))
    assert [r.step for r in records] == [per_epoch * e for e in range(1, epochs + 1)]
    assert {r.steps for r in records} == {per_epoch * epochs} and {r.epochs for r in records} == {epochs}
    elapsed = [r.elapsed for r in records]
    assert elapsed == sorted(elapsed) and elapsed[0] > 0
    assert records[-1].remaining == 0.0


def test_fit_reports_every_epoch_and_trains_the_same_weights(toy):
    x, y, mask = toy
    records: list[Progress] = []
    plain, h0 = rrr.fit(rrr.mlp(6, 2, seed=1), x, y, mask, l1=10.0, epochs=3, batch_size=32, shuffle=True)
    heard, h1 = rrr.fit(
        rrr.mlp(6, 2, seed=1), x, y, mask, l1=10.0, epochs=3, batch_size=32, shuffle=True, callback=records.append
    )
    assert torch.equal(_params(plain), _params(heard)) and h0.right_answers == h1.right_answers
    _check_records(records, "rrr.fit", epochs=3, per_epoch=4)  # 100 rows, batches of 32: 4 steps an epoch
    assert [r.terms["right_answers"] for r in records] == h1.right_answers
    assert [r.terms["right_reasons"] for r in records] == h1.right_reasons
    assert [r.running_accuracy for r in records] == h1.running_accuracy


def test_fit_of_a_stack_reports_the_mean_over_models(toy):
    x, y, mask = toy
    records: list[Progress] = []
    plain, _ = rrr.fit(mlp_stack(6, 2, [0, 1, 2]), x, y, mask, l1=[0.0, 1.0, 10.0], epochs=2, batch_size=50)
    heard, history = rrr.fit(
        mlp_stack(6, 2, [0, 1, 2]), x, y, mask, l1=[0.0, 1.0, 10.0], epochs=2, batch_size=50, callback=records.append
    )
    assert torch.equal(_params(plain), _params(heard))
    _check_records(records, "rrr.fit", epochs=2, per_epoch=2)
    for r, ra, acc in zip(records, history.right_answers, history.running_accuracy):
        assert ra.shape == (3,) and r.terms["right_answers"] == pytest.approx(float(np.mean(ra)))
        assert r.running_accuracy == pytest.approx(float(np.mean(acc)))


def test_train_replicates_and_fae_pass_the_callback_to_fit(toy):
    x, y, mask = toy
    records: list[Progress] = []
    train_replicates(x, y, mask, seeds=[0, 1], l1=1.0, train={"epochs": 2, "batch_size": 50}, callback=records.append)
    _check_records(records, "rrr.fit", epochs=2, per_epoch=2)
    records.clear()
    rrr.find_another_explanation(
        lambda i: rrr.mlp(6, 2, seed=i), x, y, rounds=2, l1=1.0, epochs=2, batch_size=50, callback=records.append
    )
    assert [r.trainer for r in records] == ["rrr.fit round 1/2"] * 2 + ["rrr.fit round 2/2"] * 2


def test_fit_input_penalty_reports_every_epoch_and_trains_the_same_weights(toy):
    x, y, _ = toy
    records: list[Progress] = []
    kw = dict(penalty="l2_norm", lam=[0.1, 1.0], epochs=3, batch_size=40, seed=2)
    plain, _ = fit_input_penalty(smooth_mlp(6, 2, n_models=2, seed=0), x, y, **kw)
    heard, history = fit_input_penalty(smooth_mlp(6, 2, n_models=2, seed=0), x, y, callback=records.append, **kw)
    assert torch.equal(_params(plain), _params(heard))
    _check_records(records, "fit_input_penalty", epochs=3, per_epoch=3)  # 100 rows, batches of 40
    assert records[-1].terms["penalty"] == pytest.approx(float(np.mean(history.penalty[-1])))
    assert records[-1].running_accuracy is None


def test_diverse_and_autoencoder_trainers_report_every_epoch(toy):
    x, y, _ = toy
    records: list[Progress] = []
    torch.manual_seed(0)
    models = [nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2)) for _ in range(2)]
    _, history = train_diverse_models(models, x, y, epochs=2, batch_size=25, callback=records.append)
    _check_records(records, "train_diverse_models", epochs=2, per_epoch=4)
    assert records[-1].running_accuracy == pytest.approx(float(np.mean(history.train_accuracy[-1])))
    records.clear()
    images, factors = torch.rand(24, 16, 16), torch.rand(24, 2)
    fit_autoencoder(ConvAutoencoder(side=16, n_latent=4, n_supervised=2), images, factors, epochs=2, batch_size=10,
                    callback=records.append)
    _check_records(records, "fit_autoencoder", epochs=2, per_epoch=3)


def test_train_cnn_reports_its_log_rows_and_trains_the_same_weights():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(48, 784, generator=g), torch.randint(0, 2, (48,), generator=g)
    weights, records = [], []
    for callback in (None, records.append):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 2))
        log = train_cnn(model, x, y, objective_for("normal"), batches=6, batch_size=16, log_every=2, callback=callback)
        weights.append(_params(model))
    assert torch.equal(*weights)
    assert [r.step for r in records] == [row["batch"] for row in log] == [1, 2, 4, 6]
    assert [r.epoch for r in records] == [1, 1, 2, 2] and {r.steps for r in records} == {6}
    assert [r.terms["loss"] for r in records] == [row["loss"] for row in log]


def test_the_log_line_names_step_terms_accuracy_and_time_left():
    out = io.StringIO()
    logger = log_progress(0.0, stream=out)
    logger(Progress("rrr.fit", 4, 16, 2, 8, {"right_answers": 12.5, "right_reasons": 0.25}, 0.875, 30.0))
    line = out.getvalue()
    assert line == (
        "rrr.fit: step 4/16, epoch 2/8, right_answers 12.5, right_reasons 0.25, running_accuracy 0.8750, "
        "elapsed 30.0s, left ~1m30s\n"
    )


def test_the_logger_writes_at_most_once_per_interval_but_always_the_first_and_last_step():
    out, now = io.StringIO(), [0.0]
    logger = ProgressLogger(10.0, stream=out, bar=False, clock=lambda: now[0])
    for step in range(1, 11):
        now[0] = 3.0 * step
        logger(Progress("t", step, 10, step, 10, {}, None, now[0]))
    now[0] += 1.0  # a second training (an FAE round) starts at once: its first record is written too
    logger(Progress("t", 2, 10, 1, 5, {}, None, 1.0))
    logger(Progress("t", 4, 10, 2, 5, {}, None, 1.5))
    steps = [line.split(",")[0] for line in out.getvalue().splitlines()]
    assert steps == ["t: step 1/10", "t: step 5/10", "t: step 9/10", "t: step 10/10", "t: step 2/10"]
    with pytest.raises(ValueError, match="every_seconds"):
        ProgressLogger(-1)


def test_on_a_terminal_the_logger_draws_a_bar():
    out = io.StringIO()
    logger = ProgressLogger(stream=out, bar=True)
    for step in (1, 2):
        logger(Progress("rrr.fit", step, 2, step, 2, {"right_answers": 1.0}, 0.5, float(step)))
    assert "rrr.fit: 100%" in out.getvalue() and "2/2" in out.getvalue()


def test_a_download_reports_bytes_done_of_the_total(tmp_path: Path, monkeypatch, capsys):
    data = b"x" * 3000
    spec = FileSpec("tiny.bin", ("https://example.org/tiny.bin",), hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(DATASETS, "tiny", DatasetSpec("tiny", (spec,)))
    monkeypatch.delenv(acquire.MIRROR_ENV, raising=False)
    monkeypatch.setattr(acquire, "CHUNK", 1000)

    class Response(io.BytesIO):
        length = len(data)  # what http.client reads from Content-Length

    monkeypatch.setattr(acquire.urllib.request, "urlopen", lambda url, timeout: Response(data))
    fetch("tiny", tmp_path)
    err = capsys.readouterr().err
    assert "downloading https://example.org/tiny.bin: 2.9 KiB of 2.9 KiB (100%)" in err


def test_a_large_mirror_copy_reports_progress(tmp_path: Path, monkeypatch, capsys):
    data = b"y" * 2048
    spec = FileSpec("tiny.bin", (), hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(DATASETS, "tiny", DatasetSpec("tiny", (spec,)))
    (tmp_path / "mirror" / "tiny").mkdir(parents=True)
    (tmp_path / "mirror" / "tiny" / "tiny.bin").write_bytes(data)
    fetch("tiny", tmp_path / "a", mirror=tmp_path / "mirror")
    assert "copying" not in capsys.readouterr().err  # small copies stay quiet
    monkeypatch.setattr(acquire, "MIRROR_PROGRESS_BYTES", 1024)
    fetch("tiny", tmp_path / "b", mirror=tmp_path / "mirror")
    assert "tiny.bin: 2.0 KiB of 2.0 KiB (100%)" in capsys.readouterr().err


def test_transfer_progress_of_an_unknown_size_and_throttled_lines():
    out, now = io.StringIO(), [0.0]
    progress = TransferProgress("get", None, every_seconds=5.0, stream=out, bar=False, clock=lambda: now[0])
    for _ in range(4):
        now[0] += 3.0
        progress.update(512)
    progress.close()
    assert out.getvalue().splitlines() == ["get: 1.0 KiB, 6.0s", "get: 2.0 KiB, 12.0s"]
