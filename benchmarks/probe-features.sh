#!/usr/bin/env bash
# Regenerates benchmarks/results/fmnist-small-probe-features.{md,json}: the linear probe of every
# block's class-token / mean / both features of the fmnist-small encoders (random init, raster,
# stochastic, seed 0), selected on a validation split of the training images, tested once.
# Needs the reproduction's run folder (saim reproduce --output RUN) with
# pretrain/{raster,stochastic}-seed0/final.safetensors; RUN defaults to /work/repro-run.
# Features are cached in /tmp/saim-probe-features (measured: about 5 minutes per encoder on one shared core);
# with the cache the probes alone take a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="${1:-/work/repro-run}"
CP_FILE="$(mktemp)"
# in one reactor invocation, so our modules come from their target/classes, not from ~/.m2
MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -o -q -B -pl benchmarks -am compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime
java -Xmx3g -cp "benchmarks/target/classes:$(cat "$CP_FILE")" io.github.saimjava.benchmarks.reproduce.LayerProbe \
  --run "$RUN" --encoders random-seed0,raster-seed0,stochastic-seed0 --train 8000 --probe-seeds 0,1 --threads 1 \
  --note "Selection noise: a validation top-1 on 2,000 images near 78% has a standard error of about 0.9 points, so grid cells within a point of each other are not separated; a test top-1 on 10,000 images has about 0.4 points." \
  --note "The probe settings are the table's and were not tuned here (90 epochs, blr 6.4); only the block and the pooling were selected, on validation images, never on the test set." \
  --note "Raw pixels are probed on 784 values, the encoders' features on 128 (cls, mean) or 256 (cls_mean)."
rm -f "$CP_FILE"
