#!/usr/bin/env bash
# usage: benchmarks/fmnist-long.sh ORDER SEED [LONG_DIR]
#   ORDER: stochastic | raster; SEED: the pre-training seed (initialisation, data order, flips, orders);
#   LONG_DIR (default /work/runs/long): the run goes to LONG_DIR/pretrain/<ORDER>60k-seed<SEED>/.
# The fmnist-small architecture and recipe with a longer pre-training budget (all 60,000 Fashion-MNIST
# training images, 12 epochs, bfloat16), weights kept every 2 epochs, then the encoder probed every 2
# epochs with LayerProbe next to the fmnist-small table's 8-epoch encoder of the same order and seed and
# random init, written to benchmarks/results/$REPORT.{md,json}
# (REPORT defaults to fmnist-long-<ORDER>-seed<SEED>; `REPORT=fmnist-long ... stochastic 0` regenerates
# fmnist-long.{md,json}, the first run of this recipe).
# Resumable: rerunning the same command continues the pre-training from LONG_DIR's checkpoint (saim
# pretrain resumes exactly) and then probes; a finished run is not trained again.
# Needs the Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist) and, for the 8-epoch
# row, the reproduction's run folder (saim reproduce --output RUN); RUN defaults to /work/repro-run, and
# without that run's encoder of this order and seed the 8-epoch row is left out.
# Measured for stochastic seed 0: about an hour of pre-training on 2 idle cores, then about 15 minutes
# of probes.
# For trying the script only (never for results): EPOCHS, MAX_STEPS (stop after that many steps),
# PRETRAIN_DATA (an IDX images file), PROBE=0 (skip the probes) and BUILD=0 (use the built saim.jar).
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 stochastic|raster SEED [LONG_DIR]" >&2
  exit 2
fi
ORDER="$1"
SEED="$2"
case "$ORDER" in
  stochastic | raster) ;;
  *) echo "$0: ORDER must be stochastic or raster, got '$ORDER'" >&2; exit 2 ;;
esac
if ! [[ "$SEED" =~ ^[0-9]+$ ]]; then
  echo "$0: SEED must be a non-negative integer, got '$SEED'" >&2
  exit 2
fi
LONG="$(realpath -m "${3:-/work/runs/long}")"
cd "$(dirname "$0")/.."
RUN="${RUN:-/work/repro-run}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
PRETRAIN_DATA="${PRETRAIN_DATA:-$DATA/train-images-idx3-ubyte.gz}"
REPORT="${REPORT:-fmnist-long-$ORDER-seed$SEED}"
EPOCHS="${EPOCHS:-12}"
MAX_STEPS="${MAX_STEPS:-0}"
OUT="$LONG/pretrain/${ORDER}60k-seed$SEED"
# 60,000 / 128 = 468 steps an epoch (the last partial batch is dropped); weights kept every 2 epochs
STEPS_PER_EPOCH=468
if [ "${BUILD:-1}" = 1 ]; then
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -q -B -DskipTests -pl examples -am package
fi
LIMIT=()
if [ "$MAX_STEPS" != 0 ]; then LIMIT=(--max-steps "$MAX_STEPS"); fi
java -Xmx2g -jar examples/target/saim.jar pretrain --model tiny --img-size 32 --patch-size 4 --dim 128 --depth 6 \
  --heads 4 --blur-kernel 3 --blur-sigma 1 --order "$ORDER" --augment flip --epochs "$EPOCHS" --batch-size 128 \
  --lr 3e-4 --warmup-epochs 1 --weight-decay 0.05 --seed "$SEED" --threads 2 --precision bf16 \
  --checkpoint-every "$STEPS_PER_EPOCH" --keep-weights-every $((2 * STEPS_PER_EPOCH)) --log-every 50 \
  "${LIMIT[@]}" --data "$PRETRAIN_DATA" --output "$OUT"
if [ "${PROBE:-1}" != 1 ]; then
  echo "PROBE=$PROBE: pre-training done or stopped, probes skipped ($OUT)"
  exit 0
fi
ENCODERS="random-seed$SEED"
if [ -f "$RUN/pretrain/$ORDER-seed$SEED/final.safetensors" ]; then
  ENCODERS="$ENCODERS,$ORDER-seed$SEED"
else
  # the 8-epoch row is already in fmnist-small-probe-features.{md,json} for seeds the reproduction ran
  echo "no $RUN/pretrain/$ORDER-seed$SEED/final.safetensors: the 8-epoch encoder is left out of $REPORT" >&2
fi
for ((e = 2; e < EPOCHS; e += 2)); do
  ENCODERS="$ENCODERS,${ORDER}60k-seed$SEED-ep$e=$OUT/weights-step$((e * STEPS_PER_EPOCH)).safetensors"
done
ENCODERS="$ENCODERS,${ORDER}60k-seed$SEED-ep$EPOCHS=$OUT/final.safetensors"
NOTES=()
if [ -f "benchmarks/results/$REPORT.notes.txt" ]; then
  NOTES=(--notes-file "benchmarks/results/$REPORT.notes.txt")
fi
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -q -B -pl benchmarks -am compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime
java -Xmx3g -cp "benchmarks/target/classes:$(cat "$CP_FILE")" io.github.saimjava.benchmarks.reproduce.LayerProbe \
  --run "$RUN" --encoders "$ENCODERS" --train 8000 --probe-seeds 0,1 --threads 2 --data "$DATA" \
  --report "$REPORT" \
  --title "A longer budget: fmnist-small's encoder pre-trained 12 epochs on 60,000 images, $ORDER order, seed $SEED" \
  "${NOTES[@]}"
