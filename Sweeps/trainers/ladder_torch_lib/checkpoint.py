"""Checkpoints: the model, AdamW state, step, data sampler state and recent losses in one file,
written to a temporary name, synced and renamed over the old one (a kill mid-write leaves the
previous checkpoint whole)."""
import os
import shutil

import torch


def save(path, state):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def keep(path, step):
    """A copy beside the checkpoint, `step-<n>.pt` (train.save_at)."""
    shutil.copyfile(path, os.path.join(os.path.dirname(path), f"step-{step}.pt"))


def load(path, model_cfg):
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("model_cfg") != model_cfg:
        raise ValueError(f"{path} holds a model of another shape ({state.get('model_cfg')}); move it away to start over")
    return state
