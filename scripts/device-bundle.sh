#!/usr/bin/env bash
# Makes device-bundle/ (git-ignored) for scripts/device-check.sh on a machine with no Rust
# toolchain and no network: the CUDA binary (scripts/build-cuda.sh; xz-compressed), the generator
# weights at half size (f16, scripts/f16_safetensors.py), the three face models inversion needs
# (detector, landmarks, identity; from the model cache) and one real photo (CelebA 000007.jpg of
# the measured half, from PyPI felonfinder). `--cpu` also packs the CPU build (for a CPU run of
# the same check there). Prints the sizes: the bundle travels with the checkout, 64 MiB in all.
#   bash scripts/device-bundle.sh [--cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
dst=device-bundle
models=${TALK_TO_EDIT_MODELS:-$HOME/.cache/talk-to-edit/models}
python=.venv-reference/bin/python
[ -x "$python" ] || bash scripts/setup-reference.sh >&2   # numpy, for the f16 copy
rm -rf "$dst"
mkdir -p "$dst/models/faceplugin-0.0.1/package/model"
if [ -x target/cuda/release/talk-to-edit ]; then
  xz -T0 -9 -c target/cuda/release/talk-to-edit >"$dst/talk-to-edit-cuda.xz"
else
  echo "no CUDA binary at target/cuda/release/talk-to-edit (bash scripts/build-cuda.sh)" >&2
fi
if [ "${1:-}" = --cpu ]; then
  xz -T0 -9 -c target/release/talk-to-edit >"$dst/talk-to-edit-cpu.xz"
fi
"$python" scripts/f16_safetensors.py "$models/converted/mobilestylegan.safetensors" "$dst/generator.safetensors"
for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
  cp "$models/faceplugin-0.0.1/package/model/$f" "$dst/models/faceplugin-0.0.1/package/model/"
done
cp "$models"/felonfinder-*/felonfinder/img/faces/000007.jpg "$dst/photo.jpg"
du -ab "$dst" | sort -n | awk '{ printf "%8.1f MiB  %s\n", $1 / 1048576, $2 }'
tracked=$(git ls-files -z | xargs -0 du -cb | tail -n1 | cut -f1)
total=$(du -sb "$dst" | cut -f1)
awk -v t="$tracked" -v b="$total" 'BEGIN { printf "checkout %.1f MiB + bundle %.1f MiB = %.1f MiB (the device call carries 64 MiB)\n", t / 1048576, b / 1048576, (t + b) / 1048576 }'
