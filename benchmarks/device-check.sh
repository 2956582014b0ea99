#!/usr/bin/env bash
# The GPU check of issue #34, for a machine with an NVIDIA GPU: the six training-step parity fixtures
# run on the GPU (saim check-reference), `bench train-step` and `bench embed` for ViT-B/16 in float32
# and bfloat16, and the reference's step under autocast where its harness can use the GPU; one results
# file. Budget: under ten minutes on an H100 (each part has its own time limit).
#
# The engine needs CUDA natives of PyTorch 2.7.1, which no Maven Central jar carries and which DJL
# would otherwise download (benchmarks/README.md, "GPU check"). Point LIBTORCH at a folder holding them
# (libtorch.so, libc10_cuda.so, ...: the `lib` folder of a `torch==2.7.1+cu12x` wheel or a CUDA
# libtorch 2.7.1 archive); without LIBTORCH the script looks for such a wheel in `python3`.
#
# Usage: benchmarks/device-check.sh [RESULTS_FILE]   (default: benchmarks/results/device-check-<date>.txt)
# Build first on any machine: mvn -B -ntp -DskipTests package (the script reuses examples/target).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-benchmarks/results/device-check-$(date -u +%Y%m%dT%H%M%SZ).txt}"
mkdir -p "$(dirname "$OUT")"
exec > >(tee "$OUT") 2>&1

say() { printf '\n== %s\n' "$*"; }
say "machine"
date -u
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 || { echo "no NVIDIA GPU answers (nvidia-smi): nothing to check"; exit 2; }
lscpu | grep -E 'Model name|^CPU\(s\)' || true

if [[ -z "${LIBTORCH:-}" ]]; then
  LIBTORCH=$(python3 - <<'PY' 2>/dev/null
import os, torch
if torch.__version__.startswith("2.7.1") and torch.version.cuda:
    print(os.path.join(os.path.dirname(torch.__file__), "lib"))
PY
)
fi
if [[ -z "${LIBTORCH:-}" || ! -f "$LIBTORCH/libtorch.so" ]]; then
  echo "no CUDA natives of PyTorch 2.7.1: set LIBTORCH to a folder with libtorch.so and the CUDA libraries"
  exit 2
fi
echo "CUDA natives: $LIBTORCH"

JAR=examples/target/saim.jar
[[ -f "$JAR" ]] || { echo "$JAR is missing: build with mvn -B -ntp -DskipTests package"; exit 2; }
# the CPU natives jar must be off the class path, or DJL uses it even on a GPU machine
CP="$JAR"
for j in examples/target/lib/*.jar; do
  [[ "$j" == *pytorch-native-cpu* ]] || CP="$CP:$j"
done
export PYTORCH_LIBRARY_PATH="$LIBTORCH" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
saim() { timeout "$1" java -cp "$CP" io.github.saimjava.cli.SaimCommand "${@:2}"; echo "exit $?"; }

say "parity fixtures on the GPU (training step against the reference's, tolerance as on the CPU)"
for f in saim-impl/src/test/resources/fixtures/reference-tiny-*.safetensors; do
  echo "-- $f"
  saim 120 check-reference "$f" | tail -2
done

say "bench (ViT-B/16): train-step batch 4 and embed batch 8, float32 and bfloat16"
for p in fp32 bf16; do
  saim 150 bench train-step --model base --batch 4 --steps 5 --precision "$p"
  saim 90 bench embed --model base --batch 8 --steps 10 --precision "$p"
done

say "reference step under autocast on the GPU"
H=../shared/reference/harness
if [[ -f "$H/bench_step.py" ]] && grep -q cuda "$H/bench_step.py" && [[ -n "${SAIM_REF:-}" ]]; then
  SAIM_REF="$SAIM_REF" timeout 150 python3 "$H/bench_step.py" base 4 5 2 bf16
else
  echo "not run: the harness times the CPU only (or SAIM_REF is unset); the GPU figures above stand alone"
fi
say "done: $OUT"
