#!/usr/bin/env bash
# Issue #34's side-by-side on this machine's CPU: the reference (Debian's PyTorch, plain or under
# bf16 autocast) and saim-java, alternated pair by pair, for encoder inference (ViT-B/16, batch 8) and,
# with STEP=1, the SAIM training step (batch 4); with ONNX=FILE also ONNX Runtime on that file (the
# reference's ViT-B exported by ../shared/reference/harness/export_onnx.py); with BASE_JAR=saim.jar
# also an older build of ours (float32 only: before the emulation, its bfloat16 ran the engine's slow loop
# on CPUs without AVX-512); with BASE_JAVA_OPTS="-Dkey=value ..." also this build run with those JVM options
# (e.g. -Dsaim.inference.kernels=default for the encoder without its inference kernels). One line per run, then the medians per configuration.
# Run it on an idle machine only (nothing else on the cores), from a built tree (mvn -DskipTests package).
#
# Usage: SAIM_REF=<reference checkout> [PAIRS=3] [STEP=1] [ONNX=vit-b.onnx] [BASE_JAR=old/saim.jar]
#        [BASE_JAVA_OPTS="-Dsaim.inference.kernels=default"]
#        [PRECISIONS="fp32 bf16"] [THREADS=2] benchmarks/side-by-side.sh [RESULTS_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SAIM_REF:?set SAIM_REF to a checkout of the reference implementation}"
PAIRS="${PAIRS:-3}" THREADS="${THREADS:-2}" PRECISIONS="${PRECISIONS:-fp32 bf16}"
# Debian's python3 (where python3-torch installs), not a python3 earlier on the PATH
PY="${PYTHON:-/usr/bin/python3}"
H=../shared/reference/harness
JAR=examples/target/saim.jar
OUT="${1:-$(mktemp)}"
[[ -f "$JAR" ]] || { echo "$JAR is missing: mvn -B -ntp -DskipTests package" >&2; exit 2; }

log() { echo "$*" | tee -a "$OUT"; }
# the figure each tool prints last: images per second
ips() { grep -Eo 'images_per_s[ =][0-9.]+' | tail -1 | grep -Eo '[0-9.]+$'; }
ref_embed_steps() { [[ "$1" == bf16 ]] && echo "${REF_BF16_STEPS:-3}" || echo 5; }

log "# side-by-side $(date -u +%FT%TZ) on: $(java -jar "$JAR" bench gemm --model tiny --steps 1 2>/dev/null | head -1)"
log "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for pair in $(seq 1 "$PAIRS"); do
  for p in $PRECISIONS; do
    log "pair $pair embed $p reference $(SAIM_REF="$SAIM_REF" "$PY" "$H/bench_embed.py" base 8 "$(ref_embed_steps "$p")" "$THREADS" "$p" | ips)"
    log "pair $pair embed $p saim-java $(java -jar "$JAR" bench embed --model base --batch 8 --steps 5 --threads "$THREADS" --precision "$p" --no-ceiling | ips)"
    if [[ -n "${BASE_JAR:-}" && "$p" == fp32 ]]; then
      log "pair $pair embed $p saim-java-base $(java -jar "$BASE_JAR" bench embed --model base --batch 8 --steps 5 --threads "$THREADS" --precision "$p" | ips)"
    fi
    if [[ -n "${BASE_JAVA_OPTS:-}" ]]; then
      # shellcheck disable=SC2086 # the options are words
      log "pair $pair embed $p saim-java-opts $(java $BASE_JAVA_OPTS -jar "$JAR" bench embed --model base --batch 8 --steps 5 --threads "$THREADS" --precision "$p" --no-ceiling | ips)"
    fi
    if [[ -n "${ONNX:-}" && "$p" == fp32 ]]; then
      log "pair $pair embed $p onnxruntime $(java -jar "$JAR" bench embed --engine onnxruntime --onnx "$ONNX" --batch 8 --steps 5 --threads "$THREADS" | ips)"
    fi
    if [[ -n "${STEP:-}" ]]; then
      log "pair $pair step $p reference $(SAIM_REF="$SAIM_REF" "$PY" "$H/bench_step.py" base 4 3 "$THREADS" "$p" | ips)"
      log "pair $pair step $p saim-java $(java -jar "$JAR" bench train-step --model base --batch 4 --steps 3 --threads "$THREADS" --precision "$p" --no-ceiling | ips)"
    fi
  done
done
log "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
log "# ceilings: $(java -jar "$JAR" bench gemm --model base --batch 8 --precision fp32 | tail -1) (fp32), $(java -jar "$JAR" bench gemm --model base --batch 8 --precision bf16 | tail -1) (bf16)"
python3 - "$OUT" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "pair" and len(f) == 6 and f[5] != "":
        runs[(f[2], f[3], f[4])].append(float(f[5]))
print("median images/s over the pairs:")
for (what, p, who), v in sorted(runs.items()):
    print(f"  {what:5} {p:4} {who:15} {statistics.median(v):8.3f}  ({', '.join(f'{x:.3f}' for x in v)})")
PY
