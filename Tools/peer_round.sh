#!/bin/bash
# One round of ours against the peer baselines, side by side, two threads (README: Performance).
# Usage: Tools/peer_round.sh OUT_DIR ROUND   with LADDER (the built binary), PY (python with torch
# and numpy: source <(../shared/bench/setup.sh), then PY=$LADDER_BENCH_PY) and BENCH (../shared/bench).
set -u
L=${LADDER:-.build/release/ladder}; PY=${PY:-python3}; B=${BENCH:-../shared/bench}; o=$1; r=$2
mkdir -p "$o"
ld() { cut -d' ' -f1 /proc/loadavg; }
echo "round $r gemm $(date +%T) load $(ld)" >> "$o/log"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$B/gemm_numpy.py" --threads 2 --seconds 1 > "$o/gemm_blas_best_$r.jsonl"
"$L" bench gemm --threads 2 --seconds 1 --json > "$o/gemm_ours_best_$r.json"
OPENBLAS_CORETYPE=Haswell "$PY" "$B/gemm_numpy.py" --threads 2 --seconds 1 > "$o/gemm_blas_hsw_$r.jsonl"
"$L" bench gemm --threads 2 --seconds 1 --isa avx2 --json > "$o/gemm_ours_avx2_$r.json"
echo "round $r attention $(date +%T) load $(ld)" >> "$o/log"
"$L" bench attention --threads 2 --kernel flash --seq 1024,4096 --reps 3 --json > "$o/att_ours_best_$r.json"
"$PY" "$B/attention_torch.py" --threads 2 --seq 1024 4096 --reps 3 > "$o/att_torch_best_$r.jsonl"
"$L" bench attention --threads 2 --kernel flash --seq 1024,4096 --reps 3 --isa avx2 --json > "$o/att_ours_avx2_$r.json"
ATEN_CPU_CAPABILITY=avx2 "$PY" "$B/attention_torch.py" --threads 2 --seq 1024 4096 --reps 3 > "$o/att_torch_avx2_$r.jsonl"
echo "round $r train $(date +%T) load $(ld)" >> "$o/log"
for cfg in "tiny 10 3" "small 8 2" "medium 4 1"; do
  set -- $cfg
  "$L" bench train --config "$1" --threads 2 --steps "$2" --warmup "$3" --json > "$o/train_ours_best_$1_$r.json"
  "$PY" "$B/gpt_torch.py" --config "$1" --threads 2 --steps "$2" --warmup "$3" > "$o/train_torch_best_$1_$r.json"
  "$L" bench train --config "$1" --threads 2 --steps "$2" --warmup "$3" --isa avx2 --json > "$o/train_ours_avx2_$1_$r.json"
  ATEN_CPU_CAPABILITY=avx2 "$PY" "$B/gpt_torch.py" --config "$1" --threads 2 --steps "$2" --warmup "$3" > "$o/train_torch_avx2_$1_$r.json"
done
echo "round $r finished $(date +%T)" >> "$o/log"
