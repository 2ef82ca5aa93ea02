#!/usr/bin/env python3
"""Ladder's reference PyTorch trainer: the built-in trainer's GPT, initialization, AdamW, schedules,
data windows and evaluation (Sources/Training), on CPU or CUDA, one process or several under torchrun
(data parallel: each rank takes batch / world of every micro-batch's windows), resuming from its own
checkpoint, stopping with a checkpoint on SIGINT or SIGTERM. It speaks Ladder's trainer protocol
(README, "Your own trainer"): per-step JSONL metrics, an end record, and `{"loss": ...}` at --out.

    ladder_torch.py CONFIG.toml|run.json [--run-dir DIR] [--metrics FILE] [--out FILE]
                    [--device auto|cpu|cuda] [--threads N] [--set section.key=value ...]

Without options, the Ladder environment (LADDER_RUN_DIR, LADDER_METRICS, LADDER_OUT) fills them.
"""
import argparse
import fcntl
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ladder_torch_lib import config as configs  # noqa: E402
from ladder_torch_lib.protocol import MetricsFile, write_result  # noqa: E402


def parse(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", nargs="?", default=env("LADDER_CONFIG"), help="a ladder train TOML file or a run's config.json")
    p.add_argument("--run-dir", default=env("LADDER_RUN_DIR"), help="checkpoint (and default metrics) folder")
    p.add_argument("--metrics", default=env("LADDER_METRICS"), help="JSONL metrics file (default RUN_DIR/trainer.jsonl)")
    p.add_argument("--out", default=env("LADDER_OUT"), help='where {"loss": ...} goes at the end')
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, help="torch threads per process (default train.threads)")
    p.add_argument("--set", action="append", default=[], metavar="section.key=value", help="override a config key")
    p.add_argument("--stop-after", type=int, help="stop as an interruption would after this step (tests)")
    args = p.parse_args(argv)
    if not args.config:
        p.error("a config file is needed (argument or LADDER_CONFIG)")
    if args.run_dir and not args.metrics:
        args.metrics = os.path.join(args.run_dir, "trainer.jsonl")
    return args


class StopFlag:
    """Set by SIGINT / SIGTERM, or when the coordinator named by LADDER_COORDINATOR_PID is gone."""

    def __init__(self):
        self.signaled = None
        self.coordinator = int(os.environ.get("LADDER_COORDINATOR_PID", "0") or 0)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.signaled = signal.Signals(signum).name

    def reason(self):
        if self.signaled:
            return f"stopped by {self.signaled}"
        if self.coordinator:
            try:
                os.kill(self.coordinator, 0)
            except ProcessLookupError:
                return f"coordinator {self.coordinator} is gone"
            except PermissionError:
                pass
        return None


def branch_start(labels, run_dir):
    """A WSD branch's starting checkpoint: its trunk's `step-<n>.pt` in the trunk's run folder, a
    sibling of this one (Results/<sweep>/runs/<trunk id>-<trunk identity>/)."""
    if not run_dir or "trunk_run" not in labels or "branch_step" not in labels:
        raise SystemExit("ladder_torch: a WSD branch needs --run-dir and the sweep labels trunk_run and branch_step")
    # run folders are named <id>-<first 12 hex digits of the run's uuid> (<id> for runs stored
    # before run identities); the branch's labels carry its trunk's uuid
    trunk = str(labels["trunk_run"])
    uuid = str(labels.get("trunk_uuid") or "").replace("-", "")
    folder = f"{trunk}-{uuid[:12]}" if uuid else trunk
    return os.path.join(os.path.dirname(os.path.abspath(run_dir)), folder, f"step-{labels['branch_step']}.pt")


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        cfg = configs.load(args.config, args.set)
    except configs.ConfigError as e:
        print(f"ladder_torch: {e}", file=sys.stderr)
        return 2
    stop = StopFlag()
    import torch  # after the config is checked, so a bad file fails fast
    from ladder_torch_lib import checkpoint
    from ladder_torch_lib.data import DataError, TokenData
    from ladder_torch_lib.train import Run

    torch.set_num_threads(args.threads or cfg["train"]["threads"])
    try:
        data = TokenData(cfg["data"], cfg["model"]["seq_len"], cfg["train"]["seed"])
    except DataError as e:
        print(f"ladder_torch: {e}", file=sys.stderr)
        return 2
    run = Run(cfg, data, args.device)
    lock = None
    if args.run_dir and run.rank == 0:
        os.makedirs(args.run_dir, exist_ok=True)
        lock = open(os.path.join(args.run_dir, "trainer.lock"), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("ladder_torch: another trainer holds this run folder; waiting for it to checkpoint and exit", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
    metrics = MetricsFile(args.metrics if run.rank == 0 else None)
    path = os.path.join(args.run_dir, "checkpoint.pt") if args.run_dir else None
    if path and os.path.exists(path):
        run.restore(checkpoint.load(path, cfg["model"]))
    elif cfg["sweep"].get("wsd") == "branch":
        trunk = branch_start(cfg["sweep"], args.run_dir)
        if not os.path.exists(trunk):
            print(f"ladder_torch: this WSD branch starts from {trunk}, which its trunk has not written", file=sys.stderr)
            return 2
        run.restore(checkpoint.load(trunk, cfg["model"]))
    result = run.train(metrics, path, stop, args.stop_after)
    if run.rank == 0:
        metrics.write(event="end", **result)
        if result["outcome"] == "done":
            write_result(args.out, result)
        print(f"ladder_torch: {result['outcome']} at step {result['steps']}" +
              (f", val loss {result['loss']:.4f}" if result.get("loss") is not None else "") +
              (f" ({result['reason']})" if result.get("reason") else ""), file=sys.stderr)
    metrics.close()
    run.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
