#!/usr/bin/env python3
"""Converts Epoch AI's reconstruction of Chinchilla's runs to Ladder's import CSV.

Input: data/svg_extracted_data.csv of github.com/epoch-research/analyzing-chinchilla (commit
9225883), columns x,y,color,Model Size,Training FLOP,hex_color,loss, read off Hoffmann et al. 2022
Fig. 4 by Besiroglu et al. 2024 (arXiv:2404.10102).
Output (stdout): name,params,tokens,loss,flops, one row per input row in input order, with
tokens = Training FLOP / (6 x Model Size) (Chinchilla counts C = 6ND; Epoch's notebook derives its
tokens the same way). Numbers are written with Python's shortest round-trip repr.

    git -C REPO show 9225883:data/svg_extracted_data.csv | python3 Tools/chinchilla_epoch_csv.py > Sweeps/data/chinchilla-epoch.csv
"""
import csv
import math
import sys


def main() -> None:
    rows = list(csv.DictReader(sys.stdin))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["name", "params", "tokens", "loss", "flops"])
    for i, row in enumerate(rows, start=1):
        n = float(row["Model Size"])
        c = float(row["Training FLOP"])
        loss = float(row["loss"])
        if not all(math.isfinite(v) and v > 0 for v in (n, c, loss)):
            sys.exit(f"input row {i + 1}: non-positive or non-finite value in {row}")
        out.writerow([f"fig4-{i:03d}", repr(n), repr(c / (6.0 * n)), repr(loss), repr(c)])


if __name__ == "__main__":
    main()
