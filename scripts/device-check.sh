#!/usr/bin/env bash
# One-command check of a prebuilt binary on a GPU machine that has no Rust toolchain and no
# network (the lent H100/H200), or on the CPU here (`--device cpu`). Run from the repository root
# (the committed models/trained and tests/fixtures/reference are read from it) with the bundle
# that scripts/device-bundle.sh made (binary, half-size generator weights, face models, a photo).
# Prints: parity with the OpenVINO reference fixtures (PSNR per seed), generator ms per face at
# batch 1 and 8, an edit round (seed 0, smiling +1), an inversion of a real photo, and the peak
# GPU memory (CUDA: nvidia-smi, device-wide, above the idle level) or peak resident memory (CPU).
#   bash scripts/device-check.sh [--device cuda|cpu] [--bundle DIR] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
device=cuda bundle=device-bundle out=out/device-check
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;
    --bundle) bundle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--device cuda|cpu] [--bundle DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -d "$bundle" ] || { echo "no bundle at $bundle (make it with scripts/device-bundle.sh)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/device-check.log
: >"$log"
say() { echo "$*" | tee -a "$log"; }

# The bundle's parts (device-bundle/partN/bundle.tar.xz.NN) joined and unpacked.
parts=$(for f in "$bundle"/part*/bundle.tar.xz.*; do [ -e "$f" ] && echo "$(basename "$f") $f"; done | sort | cut -d' ' -f2)
[ -n "$parts" ] || { say "no parts in $bundle"; exit 1; }
unpacked=/tmp/tte-device-check/bundle
rm -rf "$unpacked"
mkdir -p "$unpacked"
if command -v xz >/dev/null; then
  cat $parts | xz -dc | tar -x -C "$unpacked"
else
  cat $parts | python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))' | tar -x -C "$unpacked"
fi
bundle=$unpacked

case $device in
  cuda)
    bin=$bundle/talk-to-edit-cuda
    [ -x "$bin" ] || { say "the bundle has no CUDA binary"; exit 1; }
    # The CUDA 13 libraries the binary links to (libcublas.so.13, libcublasLt.so.13,
    # libcurand.so.10, libnvrtc.so.13, libcudart.so.13): from a CUDA install or the nvidia-* wheels
    # that PyTorch brings.
    # The driver's libcuda.so.1 too, when the loader does not know it already.
    libs="libcublasLt.so.13 libcublas.so.13 libcurand.so.10 libnvrtc.so.13 libcudart.so.13"
    ldconfig -p 2>/dev/null | grep -q "libcuda.so.1 " || libs="$libs libcuda.so.1"
    libdirs=""
    for lib in $libs; do
      hit=$(find /usr/local/nvidia /usr/local/cuda*/ /usr/lib /usr/lib64 /opt /usr/local/lib \
        -name "$lib" 2>/dev/null | head -n1 || true)
      [ -n "$hit" ] || { say "missing $lib on this machine"; exit 1; }
      libdirs=$libdirs:$(dirname "$hit")
    done
    export LD_LIBRARY_PATH=${libdirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    ;;
  cpu)
    export TALK_TO_EDIT_DEVICE=cpu
    bin=$bundle/talk-to-edit-cpu
    [ -x "$bin" ] || bin=$PWD/target/release/talk-to-edit
    [ -x "$bin" ] || { echo "no CPU binary: cargo build --release first" >&2; exit 1; }
    ;;
  *) echo "--device must be cuda or cpu" >&2; exit 2 ;;
esac
export TALK_TO_EDIT_MODELS=$bundle/models
export TALK_TO_EDIT_TRAINED=$PWD/models/trained
weights=$bundle/generator.safetensors

# Peak memory: GPU memory used (device-wide) sampled by nvidia-smi, minus the idle level; on the
# CPU, the largest resident set of each step.
gpu_idle="" sampler=""
if [ "$device" = cuda ] && command -v nvidia-smi >/dev/null; then
  say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  gpu_idle=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -n1)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$out/gpu-mem.txt" &
  sampler=$!
  trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true' EXIT
fi
peak_rss_mib=0
step() { # NAME CMD... : runs, times, records the largest resident set
  local name=$1; shift
  say ""
  say "== $name: $*"
  local t0 peak=0 rss
  t0=$(date +%s.%N)
  "$@" > >(tee -a "$log") 2> >(tee -a "$out/stderr.log" >&2) &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    sleep 0.2
  done
  wait "$pid" || { say "== $name FAILED"; exit 1; }
  peak=$((peak / 1024))
  [ "$peak" -gt "$peak_rss_mib" ] && peak_rss_mib=$peak
  say "== $name: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s wall, peak resident memory $peak MiB"
}

say "device check: $device, binary $bin ($($bin --version)), weights $(basename "$weights") ($(du -m "$weights" | cut -f1) MiB)"
runs=5; [ "$device" = cpu ] && runs=2
step parity "$bin" bench parity --weights "$weights"
step generator "$bin" bench generator --no-reference --runs "$runs" --batch 1 --batch 8 --weights "$weights"
step edit "$bin" edit --seed 0 --attribute smiling --change +1 --size 256 --weights "$weights" --out-dir "$out/edit"
step inversion "$bin" invert "$bundle/photo.jpg" --out-latent "$out/inverted.npy" --out-image "$out/inverted.png" --size 256 --weights "$weights"

say ""
if [ -n "$sampler" ]; then
  kill "$sampler" 2>/dev/null || true
  sampler=""
  peak_gpu=$(sort -n "$out/gpu-mem.txt" | tail -n1)
  say "peak GPU memory: $((peak_gpu - gpu_idle)) MiB above idle ($peak_gpu MiB used at peak, $gpu_idle idle)"
fi
say "peak resident memory of one step: $peak_rss_mib MiB"
say "log: $log; edit frames in $out/edit; inversion in $out/inverted.png"
