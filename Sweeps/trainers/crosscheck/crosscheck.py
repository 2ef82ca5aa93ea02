#!/usr/bin/env python3
"""Trains each cross-check config with the built-in trainer (`ladder train`) and the reference
PyTorch trainer, seeds 1-3, and prints the final validation losses side by side.

    python3 crosscheck.py LADDER_BINARY [CONFIG.toml ...]      (default: a.toml b.toml c.toml)

Run it with the python that has torch. Each run trains in its own scratch folder."""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.join(HERE, "..", "ladder_torch.py")


def with_seed(text, seed, folder):
    text = re.sub(r'^path = "(.*)"$', lambda m: f'path = "{os.path.normpath(os.path.join(HERE, m.group(1)))}"', text, flags=re.M)
    return text.replace("[train]\n", f"[train]\nseed = {seed}\n", 1)


def builtin(ladder, config, folder):
    out = subprocess.run([ladder, "train", config, "--db", os.path.join(folder, "l.sqlite"), "--json"],
                         cwd=folder, capture_output=True, text=True, check=True).stdout
    end = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"end"' in line][-1]
    return end["final_val_loss"]


def torch_run(config, folder):
    subprocess.run([sys.executable, TRAINER, config, "--run-dir", os.path.join(folder, "torch")],
                   check=True, capture_output=True)
    lines = [json.loads(line) for line in open(os.path.join(folder, "torch", "trainer.jsonl"))]
    return lines[-1]["loss"]


def main():
    ladder = sys.argv[1]
    configs = sys.argv[2:] or [os.path.join(HERE, n) for n in ("a.toml", "b.toml", "c.toml")]
    print(f"{'config':8} {'seed':>4} {'built-in':>10} {'pytorch':>10} {'diff':>9}")
    for config in configs:
        pairs = []
        for seed in (1, 2, 3):
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "c.toml")
                open(path, "w").write(with_seed(open(config).read(), seed, folder))
                pair = builtin(ladder, path, folder), torch_run(path, folder)
            pairs.append(pair)
            print(f"{os.path.basename(config):8} {seed:4} {pair[0]:10.5f} {pair[1]:10.5f} {100 * (pair[1] / pair[0] - 1):+8.4f}%", flush=True)
        mean_b = sum(p[0] for p in pairs) / 3
        mean_t = sum(p[1] for p in pairs) / 3
        spread = max(p[0] for p in pairs) - min(p[0] for p in pairs)
        print(f"{os.path.basename(config):8} mean {mean_b:10.5f} {mean_t:10.5f} {100 * (mean_t / mean_b - 1):+8.4f}%"
              f"   (seed spread of the built-in losses {spread:.4f}, {100 * spread / mean_b:.2f}%)", flush=True)


if __name__ == "__main__":
    main()
