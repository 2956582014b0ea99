#!/usr/bin/env bash
# usage: benchmarks/fmnist-evaluations.sh [WORK_DIR]
#   WORK_DIR (default /work/runs/fmnist-evaluations): one folder per evaluation (metrics.json, log,
#   wall time) and the labelled training set; an evaluation whose metrics.json is there is not run
#   again, so rerunning the same command continues (delete WORK_DIR to start afresh).
# Issue #31's frozen-feature evaluations of the fmnist-long encoder, written to
# benchmarks/results/$REPORT.{md,json} (REPORT defaults to fmnist-evaluations):
#   encoders: the zoo's saim_vit_mini_patch4_32_fmnist (fmnist-long.sh, stochastic order, seed 0),
#     a random init of the same architecture (--random-init, seed 0) and raw pixels / 255;
#   readouts: saim knn (k 20, T 0.07) on the class token of block 6 (the last); saim linprobe on the
#     class token of block 6 with the table's probe (90 epochs, batch 256, blr 6.4, as in
#     fmnist-long.md); saim attnprobe on the last block's patch tokens and on the average of the last
#     6 blocks' (--last-blocks 6, AIM's count); the probes once per probe seed (PROBE_SEEDS);
#   raw pixels: k-NN and the linear probe by the benchmarks' PixelFloor (the same SaimKnn and probe).
# Labelled data as in fmnist-long.md: the first 10,000 Fashion-MNIST training images (written here
# as an IDX pair, byte for byte the embedded 10k subset) and the 10,000 test images.
# Needs the Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist; DATA overrides the
# folder) and python3 (the report).
# Settings: PROBE_SEEDS (default "0 1"), ATTN_EPOCHS (default 90, the attentive probe's default),
# THREADS (default 2), BUILD=0 (use the built saim.jar and benchmarks classes), RUN_PREFIX (a command
# put before every build and evaluation, e.g. "nice -n 10"), REPORT_ONLY=1 (no evaluation: the report
# of those in WORK_DIR, the others marked not run). For trying the script only (never for
# results): TRAIN_IMAGES (default 10000) and LINPROBE_EPOCHS (default 90).
set -euo pipefail
if [ $# -gt 1 ]; then
  echo "usage: $0 [WORK_DIR]" >&2
  exit 2
fi
WORK="$(realpath -m "${1:-/work/runs/fmnist-evaluations}")"
cd "$(dirname "$0")/.."
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
REPORT="${REPORT:-fmnist-evaluations}"
PROBE_SEEDS="${PROBE_SEEDS:-0 1}"
ATTN_EPOCHS="${ATTN_EPOCHS:-90}"
LINPROBE_EPOCHS="${LINPROBE_EPOCHS:-90}"
THREADS="${THREADS:-2}"
TRAIN_IMAGES="${TRAIN_IMAGES:-10000}"
read -r -a PREFIX <<< "${RUN_PREFIX:-}"
for v in ATTN_EPOCHS LINPROBE_EPOCHS THREADS TRAIN_IMAGES; do
  if ! [[ "${!v}" =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done
read -r -a SEEDS <<< "$PROBE_SEEDS"
if [ ${#SEEDS[@]} = 0 ]; then
  echo "$0: PROBE_SEEDS must name at least one seed, got '$PROBE_SEEDS'" >&2
  exit 2
fi
for s in "${SEEDS[@]}"; do
  if ! [[ "$s" =~ ^[0-9]+$ ]]; then
    echo "$0: PROBE_SEEDS must be non-negative integers, got '$s'" >&2
    exit 2
  fi
done
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if ! [ -f "$DATA/$f.gz" ]; then
    echo "$0: no $DATA/$f.gz (Debian: apt-get install dataset-fashion-mnist)" >&2
    exit 2
  fi
done

# run NAME COMMAND...: one evaluation into WORK/NAME (its command, log, wall time, metrics.json)
run() {
  local name="$1"
  shift
  local dir="$WORK/$name"
  if [ -f "$dir/metrics.json" ]; then
    echo "$name: done before ($dir/metrics.json)"
    return
  fi
  mkdir -p "$dir"
  printf '%q ' "$@" > "$dir/command"
  echo "$name: $(cat "$dir/command")"
  local start end
  start="$(date +%s.%N)"
  "${PREFIX[@]}" "$@" --output "$dir/run" > "$dir/log" 2>&1 || {
    echo "$name failed; its log: $dir/log" >&2
    tail -5 "$dir/log" >&2
    exit 1
  }
  end="$(date +%s.%N)"
  echo "$start $end" > "$dir/seconds"
  mv "$dir/run/metrics.json" "$dir/metrics.json"
  rmdir "$dir/run" 2>/dev/null || true
  tail -1 "$dir/log"
}

SAIM=(java -Xmx3g -jar examples/target/saim.jar)
ZOO=(--zoo saim_vit_mini_patch4_32_fmnist)
RANDOM_INIT=(--random-init --model tiny --img-size 32 --patch-size 4 --dim 128 --depth 6 --heads 4)
LABELLED="$WORK/data-train$TRAIN_IMAGES"
COMMON=(--data "$LABELLED" --threads "$THREADS")
LINPROBE=(--layer 6 --pooling cls --epochs "$LINPROBE_EPOCHS" --batch-size 256 --blr 6.4)
if [ "${REPORT_ONLY:-0}" != 1 ]; then
  if [ "${BUILD:-1}" = 1 ]; then
    MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" "${PREFIX[@]}" mvn -o -q -B -DskipTests -Dspotless.check.skip=true \
      -pl examples -am package
  fi
  CP_FILE="$(mktemp)"
  trap 'rm -f "$CP_FILE"' EXIT
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}" "${PREFIX[@]}" mvn -o -q -B -Dspotless.check.skip=true -pl benchmarks -am \
    compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime

  # The labelled set: the first TRAIN_IMAGES training images as an uncompressed IDX pair (the header's
  # count rewritten), the test images as they are.
  if ! [ -f "$LABELLED/done" ]; then
    mkdir -p "$LABELLED"
    TMP="$(mktemp -d)"
    gzip -dc "$DATA/train-images-idx3-ubyte.gz" > "$TMP/images"
    gzip -dc "$DATA/train-labels-idx1-ubyte.gz" > "$TMP/labels"
    count="$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((TRAIN_IMAGES >> 24 & 255)) $((TRAIN_IMAGES >> 16 & 255)) \
      $((TRAIN_IMAGES >> 8 & 255)) $((TRAIN_IMAGES & 255)))"
    {
      printf '\x00\x00\x08\x03'; printf '%b' "$count"; printf '\x00\x00\x00\x1c\x00\x00\x00\x1c'
      dd if="$TMP/images" iflag=skip_bytes,count_bytes skip=16 count=$((TRAIN_IMAGES * 784)) status=none
    } > "$LABELLED/train-images-idx3-ubyte"
    {
      printf '\x00\x00\x08\x01'; printf '%b' "$count"
      dd if="$TMP/labels" iflag=skip_bytes,count_bytes skip=8 count="$TRAIN_IMAGES" status=none
    } > "$LABELLED/train-labels-idx1-ubyte"
    rm -rf "$TMP"
    ln -sf "$(realpath "$DATA/t10k-images-idx3-ubyte.gz")" "$LABELLED/t10k-images-idx3-ubyte.gz"
    ln -sf "$(realpath "$DATA/t10k-labels-idx1-ubyte.gz")" "$LABELLED/t10k-labels-idx1-ubyte.gz"
    touch "$LABELLED/done"
  fi

  # the question's comparison first (the encoder against pixels), the cheapest readouts first, and
  # every readout with the first probe seed before any with the next
  run zoo-knn-block6-cls "${SAIM[@]}" knn "${ZOO[@]}" "${COMMON[@]}" --layer 6 --pooling cls --seed 0
  PIXEL_SEEDS="$(IFS=,; echo "${SEEDS[*]}")"
  run pixels java -Xmx3g -cp "benchmarks/target/classes:$(cat "$CP_FILE")" \
    io.github.saimjava.benchmarks.reproduce.PixelFloor --data "$LABELLED" --train "$TRAIN_IMAGES" \
    --probe-seeds "$PIXEL_SEEDS" --threads "$THREADS"
  run random-knn-block6-cls "${SAIM[@]}" knn "${RANDOM_INIT[@]}" "${COMMON[@]}" --layer 6 --pooling cls --seed 0
  for s in "${SEEDS[@]}"; do
    for enc in zoo random; do
      if [ "$enc" = zoo ]; then SRC=("${ZOO[@]}"); else SRC=("${RANDOM_INIT[@]}"); fi
      run "$enc-linprobe-block6-cls-seed$s" "${SAIM[@]}" linprobe "${SRC[@]}" "${COMMON[@]}" "${LINPROBE[@]}" \
        --seed "$s"
    done
    for enc in zoo random; do
      if [ "$enc" = zoo ]; then SRC=("${ZOO[@]}"); else SRC=("${RANDOM_INIT[@]}"); fi
      run "$enc-attnprobe-last1-seed$s" "${SAIM[@]}" attnprobe "${SRC[@]}" "${COMMON[@]}" --epochs "$ATTN_EPOCHS" \
        --seed "$s"
      run "$enc-attnprobe-last6-seed$s" "${SAIM[@]}" attnprobe "${SRC[@]}" "${COMMON[@]}" --epochs "$ATTN_EPOCHS" \
        --last-blocks 6 --seed "$s"
    done
  done
fi

echo "writing benchmarks/results/$REPORT.{md,json}"
NOTES="benchmarks/results/$REPORT.notes.md"
CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p')"
CPU_FLAGS="$(lscpu | sed -n 's/^Flags: *//p')"
# the JDK's release file, not `java -version` (no JVM start for a report)
JDK="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
JAVA_VERSION="$(sed -n 's/^IMPLEMENTOR=//p; s/^JAVA_VERSION=//p' "$JDK/release" 2>/dev/null | tr -d '"' | paste -sd ' ')"
python3 - "$WORK" "$REPORT" "$NOTES" "$CPU_MODEL" "$CPU_FLAGS" "$(nproc)" "$JAVA_VERSION" "$ATTN_EPOCHS" \
  "$LINPROBE_EPOCHS" "$TRAIN_IMAGES" "${RUN_PREFIX:-}" "${SEEDS[@]}" <<'PY'
import datetime, json, math, os, sys

(work, report, notes, cpu, flags, cores, jvm, attn_epochs, lin_epochs, train_images, prefix) = sys.argv[1:12]
seeds = sys.argv[12:]
N_TEST = 10000

missing = []

def load(name):
    d = os.path.join(work, name)
    if not os.path.isfile(os.path.join(d, "metrics.json")):
        missing.append(name)
        return None
    with open(os.path.join(d, "metrics.json")) as f:
        m = json.load(f)
    start, end = (float(x) for x in open(os.path.join(d, "seconds")).read().split())
    # the benchmarks' class path (Maven's local repository) shortened to how the script makes it
    cmd = " ".join(t if "benchmarks/target/classes:" not in t else "benchmarks/target/classes:<mvn dependency:build-classpath>"
                   for t in open(os.path.join(d, "command")).read().split())
    started = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).replace(microsecond=0)
    return {"name": name, "metrics": m, "started": started.isoformat().replace("+00:00", "Z"),
            "seconds": round(end - start, 1), "command": cmd}

def cell(values):
    """mean, SE over the values (0 for one value), n; None when no value was measured"""
    n = len(values)
    if n == 0:
        return None
    mean = sum(values) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else 0.0
    return {"mean": mean, "se": se, "n": n, "values": values}

def sampling_se(p):
    """SE (points) of one top-1 p (%) on N_TEST test images"""
    q = p / 100
    return 100 * math.sqrt(q * (1 - q) / N_TEST)

runs = {}
table = {}
for enc in ("zoo", "random"):
    r = load(f"{enc}-knn-block6-cls")
    row = {"knn": cell([r["metrics"]["top1"]] if r else [])}
    if r:
        runs[r["name"]] = r
    for key, fmt in (("linprobe", "{e}-linprobe-block6-cls-seed{s}"), ("attn_last1", "{e}-attnprobe-last1-seed{s}"),
                     ("attn_last6", "{e}-attnprobe-last6-seed{s}")):
        vals = []
        for s in seeds:
            r = load(fmt.format(e=enc, s=s))
            if r:
                runs[r["name"]] = r
                vals.append(r["metrics"]["top1"])
        row[key] = cell(vals)
    table[enc] = row
px = load("pixels")
if px:
    runs["pixels"] = px
table["pixels"] = {"knn": cell([px["metrics"]["knn"]["top1"]] if px else []),
                   "linprobe": cell([p["top1"] for p in px["metrics"]["linprobe"]] if px else []),
                   "attn_last1": None, "attn_last6": None}

COLS = [("knn", "k-NN top-1, block 6 cls"), ("linprobe", "linear probe, block 6 cls"),
        ("attn_last1", "attentive probe, last block"), ("attn_last6", "attentive probe, average of the last 6 blocks")]
ROWS = [("zoo", "SAIM fmnist-long (zoo saim_vit_mini_patch4_32_fmnist: stochastic order, seed 0)"),
        ("random", "random init (same architecture)"), ("pixels", "raw pixels / 255")]

def fmt(c, pixels=False):
    if c is None:
        return "not applicable (no patch tokens)" if pixels else "not run"
    if c["n"] == 1:
        return f"{c['mean']:.2f}"
    return f"{c['mean']:.2f} ± {c['se']:.2f} ({c['n']} seeds)"

def gap(a, b):
    if a is None or b is None:
        return None
    g = a["mean"] - b["mean"]
    seed_se = math.hypot(a["se"], b["se"])
    samp = math.hypot(sampling_se(a["mean"]), sampling_se(b["mean"]))
    return {"gap": g, "se_probe_seeds": seed_se, "se_test_sampling": samp, "se": math.hypot(seed_se, samp)}

gaps = {}
for col, _ in COLS:
    gaps[col] = {"zoo_minus_pixels": gap(table["zoo"][col], table["pixels"][col]),
                 "zoo_minus_random": gap(table["zoo"][col], table["random"][col]),
                 "random_minus_pixels": gap(table["random"][col], table["pixels"][col])}

def gfmt(g):
    if g is None:
        return "—"
    return f"{g['gap']:+.2f} ± {g['se']:.2f} (seeds {g['se_probe_seeds']:.2f}, test {g['se_test_sampling']:.2f})"

now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
md = []
md.append("# Frozen-feature evaluations of the fmnist-long encoder: k-NN, linear probe, attentive probe\n")
md.append("Generated by `benchmarks/fmnist-evaluations.sh`" + (f" (RUN_PREFIX `{prefix}`)" if prefix else "") + ".\n")
md.append(f"- machine: {cpu}, {cores} cores (shared with other work during the runs); CPU flags: {flags}")
md.append(f"- Java: {jvm}")
md.append(f"- date: {now} (this report; each evaluation's start is in the last table)")
md.append(f"- labelled data: the first {train_images} Fashion-MNIST training images (the embedded 10k subset of fmnist-long.md's probe) train the probes and are the k-NN's neighbours; the {N_TEST:,} test images are scored once; nothing was chosen on the test set")
md.append(f"- probe seeds: {', '.join(seeds)}; a cell with seeds is the mean ± its standard error over them (the probe's noise only)")
md.append(f"- k-NN: saim knn's defaults (k 20, T 0.07, cosine on L2-normalised features); linear probe: the table's (BatchNorm without affine, LARS, {lin_epochs} epochs, batch 256, blr 6.4, no weight decay, no warm-up); attentive probe: saim attnprobe's defaults (1 query, 8 heads, AdamW, blr 1e-3, weight decay 0.05, batch 256, cosine) for {attn_epochs} epochs\n")
md.append("## Test top-1 (%) on the 10,000 test images\n")
md.append("| encoder | " + " | ".join(h for _, h in COLS) + " |")
md.append("|---|" + "---|" * len(COLS))
for key, label in ROWS:
    md.append(f"| {label} | " + " | ".join(fmt(table[key][c], key == "pixels" and c.startswith("attn")) for c, _ in COLS) + " |")
md.append("")
if missing:
    md.append("Not run (the evaluations stopped before them): " + ", ".join(missing) + ".\n")
md.append("## Gaps (points): difference of the means ± SE\n")
md.append("SE combines the standard errors over probe seeds (seeds) with the sampling error of a top-1 on 10,000 test images (test: binomial, for two independent test sets; the same test images make the true error of a difference smaller, so it is an upper bound).\n")
md.append("| readout | SAIM − raw pixels | SAIM − random init | random init − raw pixels |")
md.append("|---|---|---|---|")
for col, label in COLS:
    g = gaps[col]
    md.append(f"| {label} | {gfmt(g['zoo_minus_pixels'])} | {gfmt(g['zoo_minus_random'])} | {gfmt(g['random_minus_pixels'])} |")
md.append("")
md.append("Against the question's bar (SAIM at least 2 points above raw pixels), in units of the gap's SE:\n")
for col, label in COLS:
    g = gaps[col]["zoo_minus_pixels"]
    if g is None:
        md.append(f"- {label}: " + ("no raw-pixel counterpart" if col.startswith("attn") else "one side not run"))
    else:
        md.append(f"- {label}: SAIM − pixels {g['gap']:+.2f}; (gap − 2) / SE = {(g['gap'] - 2) / g['se']:+.1f}")
md.append("")
md.append("## Each evaluation: command and wall time\n")
md.append("Wall time of the whole command (start-up, features, probe), on the shared machine: for scale, not a benchmark.\n")
md.append("| evaluation | top-1 | top-5 | started (UTC) | wall time (s) | command |")
md.append("|---|---|---|---|---|---|")
for name, r in runs.items():
    m = r["metrics"]
    if name == "pixels":
        t1 = f"k-NN {m['knn']['top1']:.2f}; probe " + ", ".join(f"{p['top1']:.2f}" for p in m["linprobe"])
        t5 = f"k-NN {m['knn']['top5']:.2f}; probe " + ", ".join(f"{p['top5']:.2f}" for p in m["linprobe"])
    else:
        t1, t5 = f"{m['top1']:.2f}", f"{m['top5']:.2f}"
    md.append(f"| {name} | {t1} | {t5} | {r['started']} | {r['seconds']:.0f} | `{r['command']}` |")
md.append("")
if os.path.isfile(notes):
    md.append(open(notes).read().rstrip() + "\n")
out = {"date": now, "machine": {"cpu": cpu, "cores": int(cores), "flags": flags, "java": jvm},
       "train_images": int(train_images), "test_images": N_TEST, "probe_seeds": [int(s) for s in seeds],
       "attnprobe_epochs": int(attn_epochs), "linprobe_epochs": int(lin_epochs),
       "table": table, "gaps": gaps, "runs": runs, "not_run": missing}
os.makedirs("benchmarks/results", exist_ok=True)
for ext, text in (("json", json.dumps(out, indent=2) + "\n"), ("md", "\n".join(md))):
    path = f"benchmarks/results/{report}.{ext}"
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
print("\n".join(md))
PY
