"""The trainer side of Ladder's trainer protocol (README, "Your own trainer"): one JSON object a line,
appended to the metrics file and flushed to disk line by line.

    {"event": "start", "step": S}                  training (re)starts at step S (0, or a checkpoint's step)
    {"step": k, "tokens": n, "train_loss": x, "lr": r, "tokens_per_s": s}
    {"step": k, "tokens": n, "val_loss": x, "tasks": {"name": value, ...}}
    {"event": "checkpoint", "step": k}
    {"event": "end", "outcome": "done" | "interrupted" | "diverged", "loss": final val loss, ...}
"""
import json
import os


class MetricsFile:
    def __init__(self, path):
        self.path = path
        self.file = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.file = open(path, "a+b")
            # a line torn by a kill -9 stays torn (Ladder skips it); the next line starts on its own
            self.file.seek(0, os.SEEK_END)
            if self.file.tell() > 0:
                self.file.seek(-1, os.SEEK_END)
                if self.file.read(1) != b"\n":
                    self.file.write(b"\n")

    def write(self, **fields):
        if self.file is None:
            return
        self.file.write((json.dumps(fields, separators=(",", ":")) + "\n").encode())
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self):
        if self.file is not None:
            self.file.close()


def write_result(path, result):
    """The final outcome at `{out}` (what trainers of the first protocol wrote), atomically."""
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
