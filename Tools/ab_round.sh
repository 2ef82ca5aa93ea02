#!/bin/bash
# One round of the #20 throughput A/B: the binary before a change (OLD) against the one after
# (NEW), interleaved (the order swaps every round), two threads per run (README: the #20 A/B).
# Usage: Tools/ab_round.sh OUT_DIR ROUND   with OLD and NEW set to the two built binaries.
set -u
o=$1; r=$2
mkdir -p "$o"
if [ $((r % 2)) -eq 0 ]; then order="old new"; else order="new old"; fi
bin() { if [ "$1" = old ]; then echo "$OLD"; else echo "$NEW"; fi; }
echo "round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> "$o/log"
for cfg in "tiny 10 3 fp32" "small 8 2 fp32" "medium 4 1 fp32" "small 8 2 bf16"; do
  set -- $cfg
  for b in $order; do
    "$(bin $b)" bench train --config "$1" --threads 2 --steps "$2" --warmup "$3" --precision "$4" --json \
      > "$o/${b}_$1_$4_$r.json"
  done
done
for layout in dp=2 tp=2 pp=2 cp=2; do
  for b in $order; do
    "$(bin $b)" bench train --config small --parallel "$layout" --threads-per-rank 1 --steps 8 --warmup 2 --json \
      > "$o/${b}_small_${layout}_$r.json"
  done
done
for b in $order; do
  "$(bin $b)" bench train --config small --parallel dp=2 --threads-per-rank 1 --steps 8 --warmup 2 --precision bf16 --json \
    > "$o/${b}_small_dp=2bf16_$r.json"
done
echo "round $r finished $(date +%T)" >> "$o/log"
