#!/usr/bin/env bash
# What data-parallel pre-training across processes costs on one machine (issue #19): the same global
# batch as one process of 2 threads, then as 2 ranks of 1 thread each (file: rendezvous on loopback),
# for the fmnist-small model and for ViT-B/16, both in bfloat16. Prints seconds per optimiser step
# (median of the steps after the warm-up ones, from metrics.jsonl) and the ratio. Run it on an idle
# machine only; it takes about 5 minutes on 2 cores. Usage: benchmarks/distributed-overhead.sh [WORK_DIR]
# COLLECTIVE=java (default: plain Java, nothing native) or COLLECTIVE=gloo picks the ranks' collective
# (saim pretrain --collective). Rank 0's metrics.jsonl splits each step's all-reduce (allreduce_*_s).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
JAR=examples/target/saim.jar
[[ -f "$JAR" ]] || mvn -q -B -DskipTests package
COLLECTIVE="${COLLECTIVE:-java}"
[[ $COLLECTIVE == java || $COLLECTIVE == gloo ]] \
  || { echo "COLLECTIVE is '$COLLECTIVE': use java or gloo" >&2; exit 2; }
[[ $COLLECTIVE == java || -f saim-distributed/target/classes/native/linux-x86_64/libsaim_gloo.so ]] \
  || { echo "COLLECTIVE=gloo: saim-distributed's native library is not built (needs g++ and libgloo-dev)" >&2; exit 2; }

SMALL=(--img-size 32 --patch-size 4 --dim 128 --depth 6 --heads 4 --query-depth 6 --blur-kernel 3 --augment flip
  --batch-size 64 --max-steps 40 --precision bf16 --log-every 1)
BASE=(--model base --batch-size 4 --max-steps 6 --precision bf16 --log-every 1 --checkpoint-every 1000)

# median seconds per step over the steps after the first SKIP, from a metrics.jsonl
per_step() {
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
t = [r["time_s"] for r in sorted(rows, key=lambda r: r["step"])]
d = [b - a for a, b in zip(t, t[1:])][int(sys.argv[2]):]
print(f"{statistics.median(d):.4f}")
PY
}

run_one() { # NAME SKIP ARGS...: one process, 2 threads
  local name=$1 skip=$2; shift 2
  java -Xmx6g -jar "$JAR" pretrain "$@" --threads 2 --output "$WORK/$name-1x2" >"$WORK/$name-1x2.log" 2>&1
  per_step "$WORK/$name-1x2/metrics.jsonl" "$skip"
}

run_two() { # NAME SKIP ARGS...: 2 ranks of 1 thread
  local name=$1 skip=$2; shift 2
  local rdv="file:$WORK/$name-rendezvous"
  java -Xmx6g -jar "$JAR" pretrain "$@" --collective "$COLLECTIVE" --threads 1 --world-size 2 --rank 1 --rendezvous "$rdv" \
    --output "$WORK/$name-2x1-rank1" >"$WORK/$name-2x1-rank1.log" 2>&1 &
  local other=$!
  java -Xmx6g -jar "$JAR" pretrain "$@" --collective "$COLLECTIVE" --threads 1 --world-size 2 --rank 0 --rendezvous "$rdv" \
    --output "$WORK/$name-2x1" >"$WORK/$name-2x1.log" 2>&1
  wait "$other"
  per_step "$WORK/$name-2x1/metrics.jsonl" "$skip"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); collective $COLLECTIVE"
for model in small base; do
  if [[ $model == small ]]; then args=("${SMALL[@]}"); skip=5; else args=("${BASE[@]}"); skip=1; fi
  one=$(run_one "$model" "$skip" "${args[@]}")
  two=$(run_two "$model" "$skip" "${args[@]}")
  python3 -c "import sys; a,b=float(sys.argv[2]),float(sys.argv[3]); print(f'{sys.argv[1]}: 1 process x 2 threads {a:.3f} s/step, 2 ranks x 1 thread {b:.3f} s/step, ratio {b/a:.2f}')" \
    "$model" "$one" "$two"
done
echo "logs and runs: $WORK"
