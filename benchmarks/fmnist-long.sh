#!/usr/bin/env bash
# Regenerates benchmarks/results/fmnist-long.{md,json}: the fmnist-small architecture and recipe with a
# longer pre-training budget (all 60,000 Fashion-MNIST training images, 12 epochs, bfloat16), its encoder
# probed every 2 epochs with LayerProbe next to the fmnist-small table's 8-epoch encoder and random init.
# Needs the Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist) and, for the
# 8-epoch row, the reproduction's run folder (saim reproduce --output RUN); RUN defaults to /work/repro-run.
# Measured here: about an hour of pre-training on 2 idle cores, then about 15 minutes of probes.
set -euo pipefail
cd "$(dirname "$0")/.."
LONG="${1:-/work/long-run}"
RUN="${2:-/work/repro-run}"
DATA=/usr/share/datasets/fashion-mnist
OUT="$LONG/pretrain/stochastic60k-seed0"
MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -q -B -DskipTests install
# 60,000 / 128 = 468 steps an epoch (the last partial batch is dropped); weights kept every 2 epochs
java -Xmx2g -jar examples/target/saim.jar pretrain --model tiny --img-size 32 --patch-size 4 --dim 128 --depth 6 \
  --heads 4 --blur-kernel 3 --blur-sigma 1 --order stochastic --augment flip --epochs 12 --batch-size 128 \
  --lr 3e-4 --warmup-epochs 1 --weight-decay 0.05 --seed 0 --threads 2 --precision bf16 \
  --checkpoint-every 468 --keep-weights-every 936 --log-every 50 \
  --data "$DATA/train-images-idx3-ubyte.gz" --output "$OUT"
ENCODERS="random-seed0,stochastic-seed0"
for e in 2 4 6 8 10; do
  ENCODERS="$ENCODERS,stochastic60k-ep$e=$OUT/weights-step$((e * 468)).safetensors"
done
ENCODERS="$ENCODERS,stochastic60k-ep12=$OUT/final.safetensors"
CP_FILE="$(mktemp)"
MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -q -B -pl benchmarks -am compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime
java -Xmx3g -cp "benchmarks/target/classes:$(cat "$CP_FILE")" io.github.saimjava.benchmarks.reproduce.LayerProbe \
  --run "$RUN" --encoders "$ENCODERS" --train 8000 --probe-seeds 0,1 --threads 2 --data "$DATA" \
  --report fmnist-long --title "A longer budget: fmnist-small's encoder pre-trained 12 epochs on 60,000 images" \
  --notes-file benchmarks/results/fmnist-long.notes.txt
rm -f "$CP_FILE"
