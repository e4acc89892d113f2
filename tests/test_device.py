"""Config `device`: the check at the start of a job (rrr.validation.resolve_device) and train_replicates' device."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rrr.adversarial.cnn import resolve_device as adversarial_device
from rrr.pipeline.replicates import train_replicates
from rrr.validation import resolve_device

TRAIN = {"epochs": 2, "batch_size": 16, "lr": 1e-2}


def test_cpu_is_the_cpu():
    assert resolve_device("cpu") == torch.device("cpu")


def test_cuda_without_a_gpu_names_the_key_and_the_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"device is 'cuda'.*no CUDA device.*--config device=cpu"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match=r"adversarial.device is 'cuda'.*adversarial.device: cpu"):
        adversarial_device("cuda")


def test_an_unknown_device_names_the_key():
    with pytest.raises(ValueError, match=r"device is 'gpu'; it must be one of \['cpu', 'cuda'\]"):
        resolve_device("gpu")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64), rng.random((40, 5)) > 0.5


def test_train_replicates_on_the_cpu_device_gives_the_same_numbers():
    x, y, mask = _data()
    plain, history, metrics = train_replicates(x, y, mask, seeds=[0, 1], l1=10.0, train=TRAIN)
    on_cpu, history_cpu, metrics_cpu = train_replicates(x, y, mask, seeds=[0, 1], l1=10.0, train=TRAIN, device="cpu")
    for a, b in zip(plain.state_dict().values(), on_cpu.state_dict().values()):
        assert torch.equal(a, b)
    assert history.to_frame().equals(history_cpu.to_frame())
    assert {k: v for k, v in metrics.items() if k != "train_seconds"} == {
        k: v for k, v in metrics_cpu.items() if k != "train_seconds"
    }
