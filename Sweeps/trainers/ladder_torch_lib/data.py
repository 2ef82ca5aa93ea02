"""Byte-level tokens of a text file (or .gz), split and windowed as Sources/Training/TokenDataset.swift
and TokenDataset+Windows.swift: tail or interleaved held-out split; random or shuffled training windows;
evaluation windows spread evenly over the held-out split."""
import gzip
import math

import numpy as np

from .rng import SplitMix64, WindowOrder


class DataError(ValueError):
    pass


class TokenData:
    def __init__(self, data_cfg, seq_len, seed):
        path = data_cfg["path"]
        try:
            raw = gzip.open(path, "rb").read() if path.endswith(".gz") else open(path, "rb").read()
        except (OSError, EOFError) as e:
            raise DataError(f"cannot read {path}: {e}") from e
        if not raw:
            raise DataError(f"{path} is empty")
        tokens = np.frombuffer(raw, dtype=np.uint8)  # byte-level: token id = byte
        self.train, self.val = split(tokens, data_cfg["val_fraction"], data_cfg["split"], data_cfg["split_block"])
        self.T = seq_len
        self.sampling = data_cfg["sampling"]
        self.seed = seed
        self.rng = SplitMix64((seed + 0x5EED) & ((1 << 64) - 1))
        self._order = None
        for name, part in (("training", self.train), ("validation", self.val)):
            if len(part) < seq_len + 1:
                raise DataError(f"{path}: the {name} split has {len(part)} tokens, fewer than seq_len + 1 = {seq_len + 1}")

    def train_windows(self):
        return max(0, (len(self.train) - 1) // self.T)

    def starts(self, B, first_sample):
        """Starts of the B training windows of a micro-batch; `first_sample` counts windows drawn before it."""
        if self.sampling == "random":
            span = len(self.train) - self.T
            return [self.rng.next() % span for _ in range(B)]
        windows = self.train_windows()
        out = []
        for k in range(first_sample, first_sample + B):
            pass_index = k // windows
            if self._order is None or self._order[0] != pass_index:
                self._order = (pass_index, WindowOrder(windows, self.seed, pass_index))
            out.append(self._order[1][k % windows] * self.T)
        return out

    def batch(self, source, starts):
        """(inputs, targets), each (len(starts), T), of windows at `starts` of `source`."""
        idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(self.T + 1)[None, :]
        rows = source[idx].astype(np.int64)
        return rows[:, :-1], rows[:, 1:]

    def validation_windows(self):
        return max(0, (len(self.val) - 1) // self.T)

    def eval_starts(self, count):
        """Starts of `count` validation windows spread evenly over the held-out split (all of them when
        count is the split's window count)."""
        total = self.validation_windows()
        return [(i if count >= total else i * total // count) * self.T for i in range(count)]

    def batch_starts(self, index, count, B):
        """Validation batch `index` of `count` (eval_tokens = 0): windows spread over the split."""
        windows, span = count * B, len(self.val) - self.T - 1
        return [span * (index * B + b) // (windows - 1) if windows > 1 else 0 for b in range(B)]


def split(tokens, f, how, block):
    if how == "tail":
        cut = int(len(tokens) * (1 - f))
        return tokens[:cut], tokens[cut:]
    # block i validates when floor((i + 1) f) > floor(i f): evenly spaced, a fraction f of the blocks
    blocks = math.ceil(len(tokens) / block)
    held = np.array([math.floor((i + 1) * f) > math.floor(i * f) for i in range(blocks)], dtype=bool)
    mask = np.repeat(held, block)[:len(tokens)]
    return tokens[~mask], tokens[mask]
