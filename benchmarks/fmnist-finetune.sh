#!/usr/bin/env bash
# usage: benchmarks/fmnist-finetune.sh LABEL ENCODER SEED [OUT_DIR]
#   LABEL:   the encoder's name in the results (e.g. random, raster60k, stochastic60k)
#   ENCODER: random (a random-init encoder of the fmnist-small architecture, seeded by SEED) or a
#            pre-training weights file, e.g. /work/runs/long/pretrain/stochastic60k-seed0/final.safetensors
#   SEED:    the fine-tuning seed (head init, data order, augmentation; random init too)
#   OUT_DIR: default /work/runs/long/finetune; everything goes to OUT_DIR/LABEL-seedSEED/
# Issue #18 item 2, fine-tuning that converges: the fmnist-small table's fine-tune recipe (saim finetune,
# batch 128, blr 1e-3 i.e. lr 5e-4, 0.25 warm-up epoch then cosine to 1e-6, weight decay 0.05, layer
# decay 0.75, drop-path 0.1, label smoothing 0.1, global pool, pad + flip with RandAugment
# rand-m9-mstd0.5-inc1, no mixup, CutMix or random erasing) on the first 10,000 labelled training images
# (those the linear probe sees), with
#   1. the learning rate checked by a sweep on a validation split: blr in SWEEP_BLRS, SWEEP_EPOCHS
#      epochs, trained on the first 8,000 and scored on images 8,000-9,999 (the test set is not used);
#      the blr with the best final-epoch validation top-1 is kept (ties: the recipe's 1e-3); the
#      default range reaches 8x the recipe's blr because with 5e-4..2e-3 the best was the largest
#      (stochastic60k seed 1: 71.05, 78.80, 80.45); a best at either end of the range means the
#      range must grow;
#   2. the final run with that blr for EPOCHS epochs on all 10,000, evaluated on the 10,000 test images
#      after every epoch (the curve, final/metrics.jsonl); the figure reported is the LAST epoch's
#      top-1 (the best epoch would be chosen on the test set);
#   3. OUT_DIR/LABEL-seedSEED/finetune-result.json: the sweep, the chosen blr, the test top-1/top-5 of
#      the last epoch, the per-epoch curve, wall time and machine (what OrderTable reads).
# Resumable: every stage is a saim finetune folder that resumes from its checkpoint, and a finished
# stage is not run again. Defaults: SWEEP_BLRS="5e-4 1e-3 2e-3 4e-3 8e-3", SWEEP_EPOCHS=10, EPOCHS=30,
# THREADS=2,
# PRECISION=bf16 (the encoder's matrix multiplies in bfloat16, as the long pre-training ran; fp32 for
# float32; recorded in the result; a stage's checkpoint resumes only in its own precision).
# Cost: one epoch on 10,000 images plus its 10,000-image evaluation took 6-8 minutes on one engine
# thread (fmnist-small.md; its JSON records 356-1410 s for the four earliest of those stages, and
# 127-164 s for the six made later with a newer build, two of them side by side), so the defaults are
# roughly 5 x 10 + 30 = 80 epoch-lengths per encoder and seed, hours in float32: run one encoder at a
# time on an idle machine. bfloat16 (the default) took 2.2-2.3 times less per epoch than float32 on the
# 2-core AMD EPYC with AVX-512 BF16 (benchmarks/NOTES.md, "bfloat16 fine-tuning"); there a sweep epoch
# (8,000 + 2,000 images) took 18-23 s and a final epoch (10,000 + 10,000) about 35 s, about 35 minutes
# per encoder and seed. That time is the engine's arithmetic (benchmarks/NOTES.md, "where a fine-tuning
# epoch's time goes"); the one overhead found, glibc handing each step's freed activations back to the
# kernel and faulting them in again on the next step, is switched off below (GLIBC_TUNABLES; the
# results are bit-identical either way).
# BLR_FROM=FILE skips the sweep and takes the blr another run chose: FILE is that run's
# finetune-result.json (the same encoder kind, another seed, the same precision and training images),
# recorded in the result as sweep.blr_from. One sweep per encoder kind, its blr reused by the kind's
# other seeds, halves the cost of a second seed (the final run alone, about 18 minutes in bf16).
# For trying the script only (never for results): TRAIN_IMAGES, VAL_IMAGES, SWEEP_EPOCHS, EPOCHS,
# SWEEP_BLRS, DATA (a folder with the IDX pair) and BUILD=0 (use the built saim.jar).
set -euo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 LABEL random|WEIGHTS.safetensors SEED [OUT_DIR]" >&2
  exit 2
fi
LABEL="$1"
ENCODER="$2"
SEED="$3"
if ! [[ "$LABEL" =~ ^[A-Za-z0-9._-]+$ ]]; then
  echo "$0: LABEL must be letters, digits, '.', '_' or '-', got '$LABEL'" >&2
  exit 2
fi
if ! [[ "$SEED" =~ ^[0-9]+$ ]]; then
  echo "$0: SEED must be a non-negative integer, got '$SEED'" >&2
  exit 2
fi
if [ "$ENCODER" = random ]; then
  SOURCE=(--random-init --model tiny --img-size 32 --patch-size 4 --dim 128 --depth 6 --heads 4)
elif [ -f "$ENCODER" ]; then
  SOURCE=(--checkpoint "$(realpath "$ENCODER")")
else
  echo "$0: ENCODER must be 'random' or a weights file, got '$ENCODER' (no such file)" >&2
  exit 2
fi
OUT="$(realpath -m "${4:-/work/runs/long/finetune}")/$LABEL-seed$SEED"
cd "$(dirname "$0")/.."
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
TRAIN_IMAGES="${TRAIN_IMAGES:-10000}"
VAL_IMAGES="${VAL_IMAGES:-2000}"
SWEEP_BLRS="${SWEEP_BLRS:-5e-4 1e-3 2e-3 4e-3 8e-3}"
SWEEP_EPOCHS="${SWEEP_EPOCHS:-10}"
EPOCHS="${EPOCHS:-30}"
THREADS="${THREADS:-2}"
PRECISION="${PRECISION:-bf16}"
case "$PRECISION" in
  fp32 | bf16) ;;
  *) echo "$0: PRECISION must be fp32 or bf16, got '$PRECISION'" >&2; exit 2 ;;
esac
RECIPE_BLR=1e-3
BLR_FROM_DESC=""
if [ -n "${BLR_FROM:-}" ]; then
  if ! [ -f "$BLR_FROM" ]; then
    echo "$0: BLR_FROM must be a finetune-result.json, got '$BLR_FROM' (no such file)" >&2
    exit 2
  fi
  for key in precision train_images; do
    theirs="$(jq -r ".$key" "$BLR_FROM")"
    ours="$([ "$key" = precision ] && echo "$PRECISION" || echo "$TRAIN_IMAGES")"
    if [ "$theirs" != "$ours" ]; then
      echo "$0: BLR_FROM $BLR_FROM has $key $theirs, this run $ours: its blr was not chosen for this run" >&2
      exit 2
    fi
  done
  SWEEP_BLRS=""
  BLR_FROM_DESC="$(jq -er '"\(.label) seed \(.seed)"' "$BLR_FROM")"
fi
if [ "${BUILD:-1}" = 1 ]; then
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" mvn -q -B -DskipTests -pl examples -am package
fi
mkdir -p "$OUT"
# glibc's malloc: keep freed memory for the next step instead of returning it to the kernel. By
# default much of each step's activation memory goes back to the kernel when the step ends and is
# page-faulted in, zeroed, by the next one. Three settings, all needed: one arena (the
# JVM's main thread is not the process's first thread, so its memory otherwise comes from a secondary
# arena of 64 MB heaps that glibc unmaps whenever one is wholly free, whatever the trim threshold),
# an mmap threshold above the largest activation (17 MB; 32 MiB is the most every glibc accepts), and
# a trim threshold that is never reached. trim_threshold alone would be far worse: it also fixes the
# mmap threshold at 128 KiB, so every tensor would be mapped afresh. A GLIBC_TUNABLES given by the
# caller is kept as it is.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296}"
finetune() { # BLR EPOCHS DIR [more flags]
  local blr="$1" epochs="$2" dir="$3"
  shift 3
  java -Xmx3g -jar examples/target/saim.jar finetune "${SOURCE[@]}" --data "$DATA" \
    --train-images "$TRAIN_IMAGES" --epochs "$epochs" --batch-size 128 --blr "$blr" --min-lr 1e-6 \
    --warmup-epochs 0.25 --weight-decay 0.05 --layer-decay 0.75 --drop-path 0.1 --smoothing 0.1 \
    --mixup 0 --cutmix 0 --reprob 0 --aa rand-m9-mstd0.5-inc1 --augment flip --seed "$SEED" \
    --threads "$THREADS" --precision "$PRECISION" --loader-threads 1 --log-every 50 --output "$dir" "$@"
}
final_top1() { jq -e '.final_top1' "$1/metrics.json"; }
SWEEP_JSON='[]'
BEST_BLR=""
BEST_TOP1=""
if [ -n "$BLR_FROM_DESC" ]; then
  BEST_BLR="$(jq -er '.blr' "$BLR_FROM")"
  BEST_TOP1=null
  echo "no sweep: blr $BEST_BLR, chosen by the sweep of $BLR_FROM_DESC ($BLR_FROM)"
fi
for blr in $SWEEP_BLRS; do
  dir="$OUT/sweep-blr$blr"
  finetune "$blr" "$SWEEP_EPOCHS" "$dir" --val-split "$VAL_IMAGES"
  top1="$(final_top1 "$dir")"
  echo "sweep: blr $blr, validation top-1 after $SWEEP_EPOCHS epochs: $top1"
  SWEEP_JSON="$(jq -c --arg blr "$blr" --argjson top1 "$top1" --slurpfile curve <(cat "$dir/metrics.jsonl") \
    '. + [{blr: ($blr | tonumber), val_top1: $top1, val_curve: [$curve[] | .test_top1],
      time_s: ([$curve[] | .time_s] | add)}]' <<<"$SWEEP_JSON")"
  if [ -z "$BEST_BLR" ] || jq -e -n --argjson a "$top1" --argjson b "$BEST_TOP1" '$a > $b' >/dev/null \
    || { jq -e -n --argjson a "$top1" --argjson b "$BEST_TOP1" '$a == $b' >/dev/null && [ "$blr" = "$RECIPE_BLR" ]; }; then
    BEST_BLR="$blr"
    BEST_TOP1="$top1"
  fi
done
if [ -z "$BLR_FROM_DESC" ]; then echo "chosen: blr $BEST_BLR (validation top-1 $BEST_TOP1)"; fi
START=$(date +%s)
finetune "$BEST_BLR" "$EPOCHS" "$OUT/final"
WALL=$(($(date +%s) - START))
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
TMP="$(mktemp "$OUT/.finetune-result.XXXXXX")"
trap 'rm -f "$TMP"' EXIT
jq -n --arg name "$LABEL" --arg encoder "$ENCODER" --argjson seed "$SEED" \
  --argjson sweep "$SWEEP_JSON" --argjson blr "$BEST_BLR" --argjson epochs "$EPOCHS" \
  --argjson sweep_epochs "$SWEEP_EPOCHS" --argjson train "$TRAIN_IMAGES" --argjson val "$VAL_IMAGES" \
  --slurpfile summary "$OUT/final/metrics.json" --slurpfile curve <(cat "$OUT/final/metrics.jsonl") \
  --argjson wall "$WALL" --arg machine "$MACHINE" --arg precision "$PRECISION" --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" \
  --arg blr_from "$BLR_FROM_DESC" \
  '{"label": $name, encoder: $encoder, seed: $seed, train_images: $train,
    precision: $precision,
    sweep: ({val_images: $val, epochs: $sweep_epochs, runs: $sweep}
      + (if $blr_from == "" then {} else {blr_from: $blr_from} end)), blr: $blr, epochs: $epochs,
    test_images: $summary[0].val_images, test_top1: $summary[0].final_top1,
    test_top5: $summary[0].final_top5,
    curve: [$curve[] | {epoch, train_loss, test_top1, test_top5, test_loss, time_s}],
    final_run_s: ([$curve[] | .time_s] | add), sweep_s: ([$sweep[] | .time_s] | add),
    wall_s_this_invocation: $wall, machine: $machine, date: $date}' >"$TMP"
mv "$TMP" "$OUT/finetune-result.json"
trap - EXIT
echo "$LABEL seed $SEED: test top-1 $(jq .test_top1 "$OUT/finetune-result.json") after $EPOCHS epochs (blr $BEST_BLR); $OUT/finetune-result.json"
