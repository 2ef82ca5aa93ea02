#!/usr/bin/env python3
"""Throughput A/B of two ladder binaries (issue #20: "within 3% of today's figures").

Two designs, both interleaved so that slow spells of a shared machine fall on both binaries:

- paired: the one-thread cases run OLD and NEW at the same time, each pinned to its own CPU
  (the CPUs swap every round). Both see the same machine at the same moment, so each pair's
  ratio is free of the spell-to-spell drift that swamps sequential runs on a 2-vCPU VM.
- sequential: the two-thread cases and the parallel layouts need the whole machine; OLD and NEW
  run one after the other, the order swapped every round.

Every run records tokens/s from `bench train --json` and the CPU seconds (user + system) the
kernel charged to it (os.wait4). Ratios are NEW / OLD speed: tokens/s for wall clock, and
OLD / NEW CPU seconds for the same work. The summary gives the median ratio per case and a
bootstrap 90% interval of that median.

Usage: Tools/ab_bench.py run --old BIN --new BIN --out DIR [--paired-rounds N] [--sequential-rounds M]
                            [--cases "small pp=2,small dp=2"]
       (a second run into the same DIR appends rounds, numbered on from the last one there)
       Tools/ab_bench.py summary DIR
"""
import argparse, json, os, random, statistics, subprocess, sys, time

PAIRED = [  # name, bench arguments (one thread each)
    ("tiny fp32 1t", ["--config", "tiny", "--steps", "10", "--warmup", "3"]),
    ("small fp32 1t", ["--config", "small", "--steps", "6", "--warmup", "2"]),
    ("medium fp32 1t", ["--config", "medium", "--steps", "3", "--warmup", "1"]),
    ("small bf16 1t", ["--config", "small", "--steps", "6", "--warmup", "2", "--precision", "bf16"]),
]
SEQUENTIAL = [  # name, bench arguments (whole machine)
    ("tiny fp32 2t", ["--config", "tiny", "--threads", "2", "--steps", "10", "--warmup", "3"]),
    ("small fp32 2t", ["--config", "small", "--threads", "2", "--steps", "8", "--warmup", "2"]),
    ("medium fp32 2t", ["--config", "medium", "--threads", "2", "--steps", "4", "--warmup", "1"]),
    ("small bf16 2t", ["--config", "small", "--threads", "2", "--steps", "8", "--warmup", "2",
                       "--precision", "bf16"]),
] + [(f"small {layout}", ["--config", "small", "--parallel", layout, "--threads-per-rank", "1",
                          "--steps", "8", "--warmup", "2"])
     for layout in ("dp=2", "tp=2", "pp=2", "cp=2")]


def start(binary, args, cpu=None):
    command = [binary, "bench", "train", "--json"] + args
    if cpu is not None:
        command = ["taskset", "-c", str(cpu)] + command + ["--threads", "1"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE), time.time()


def finish(process, started):
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    out = process.stdout.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"bench failed ({process.returncode}): {process.stderr.read().decode()}")
    # A parallel layout prints one JSON line per rank (tokens/s is the same on every rank): use rank 0.
    report = json.loads(next(line for line in out.splitlines() if line.strip()))
    return {"tokens_per_s": report["tokens_per_s"], "peak_rss_bytes": report.get("peak_rss_bytes"),
            "cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": time.time() - started}


def run(options):
    os.makedirs(options.out, exist_ok=True)
    path = os.path.join(options.out, "runs.jsonl")
    first = 1 + max((json.loads(line)["round"] for line in open(path)), default=-1) if os.path.exists(path) else 0
    names = [name for name, _ in PAIRED + SEQUENTIAL]
    wanted = [name for name in options.cases.split(",") if name] or names
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise SystemExit(f"unknown case {', '.join(unknown)}: the cases are {', '.join(names)}")
    log = open(path, "a")
    binaries = {"old": options.old, "new": options.new}

    def record(entry):
        log.write(json.dumps(entry) + "\n")
        log.flush()

    def chosen(cases):
        return [case for case in cases if case[0] in wanted]

    for r in range(first, first + options.paired_rounds):
        cpus = {"old": r % 2, "new": 1 - r % 2}
        for name, args in chosen(PAIRED):
            running = {b: start(binaries[b], args, cpus[b]) for b in ("old", "new")}
            for b, (process, started) in running.items():
                record({"design": "paired", "case": name, "binary": b, "round": r, "cpu": cpus[b],
                        **finish(process, started)})
        print(f"paired round {r} done {time.strftime('%T')}", flush=True)
    for r in range(first, first + options.sequential_rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for name, args in chosen(SEQUENTIAL):
            for b in order:
                process, started = start(binaries[b], args)
                record({"design": "sequential", "case": name, "binary": b, "round": r,
                        **finish(process, started)})
        print(f"sequential round {r} done {time.strftime('%T')}", flush=True)


def bootstrap_median(values, draws=4000, seed=7):
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(draws))
    return medians[int(0.05 * draws)], medians[int(0.95 * draws) - 1]


def summary(directory):
    runs = [json.loads(line) for line in open(os.path.join(directory, "runs.jsonl"))]
    cases = {}
    for entry in runs:
        cases.setdefault((entry["design"], entry["case"]), {}).setdefault(entry["round"], {})[
            entry["binary"]] = entry
    rows = []
    for (design, case), rounds in cases.items():
        pairs = [p for p in rounds.values() if "old" in p and "new" in p]
        speed = [p["new"]["tokens_per_s"] / p["old"]["tokens_per_s"] for p in pairs]
        cpu = [p["old"]["cpu_s"] / p["new"]["cpu_s"] for p in pairs]
        row = {"design": design, "case": case, "rounds": len(pairs),
               "tokens_per_s_ratio_median": statistics.median(speed),
               "tokens_per_s_ratio_90": bootstrap_median(speed),
               "cpu_ratio_median": statistics.median(cpu), "cpu_ratio_90": bootstrap_median(cpu),
               "old_tokens_per_s_median": statistics.median(p["old"]["tokens_per_s"] for p in pairs),
               "new_tokens_per_s_median": statistics.median(p["new"]["tokens_per_s"] for p in pairs),
               "old_peak_rss_mb": max(p["old"]["peak_rss_bytes"] or 0 for p in pairs) / 2**20,
               "new_peak_rss_mb": max(p["new"]["peak_rss_bytes"] or 0 for p in pairs) / 2**20}
        rows.append(row)
        lo, hi = row["tokens_per_s_ratio_90"]
        clo, chi = row["cpu_ratio_90"]
        print(f"{design:10} {case:16} n={len(pairs):2}  tokens/s new/old {row['tokens_per_s_ratio_median']:.3f}"
              f" [{lo:.3f}, {hi:.3f}]  cpu old/new {row['cpu_ratio_median']:.3f} [{clo:.3f}, {chi:.3f}]"
              f"  old {row['old_tokens_per_s_median']:.0f} new {row['new_tokens_per_s_median']:.0f} tok/s"
              f"  rss {row['old_peak_rss_mb']:.0f}/{row['new_peak_rss_mb']:.0f} MB")
    json.dump(rows, open(os.path.join(directory, "summary.json"), "w"), indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--old", required=True)
    r.add_argument("--new", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--paired-rounds", type=int, default=10)
    r.add_argument("--sequential-rounds", type=int, default=8)
    r.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    s = sub.add_parser("summary")
    s.add_argument("directory")
    options = parser.parse_args()
    run(options) if options.command == "run" else summary(options.directory)


if __name__ == "__main__":
    sys.exit(main())
