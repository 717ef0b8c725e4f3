#!/usr/bin/env bash
# The main job on a fresh machine: set up (build + fetch models), render a few faces, then run the
# scripted demo dialog on a bundled face, and a real photo edited and pasted back. Everything is
# written under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bin=./target/release/talk-to-edit
mkdir -p out/faces
for seed in 0 1 2 3; do
  "$bin" render --seed "$seed" --truncation 0.7 --size 512 --out "out/faces/seed$seed.png"
done
"$bin" demo --out out/demo
# A real photo (the first of the measured CelebA half, from PyPI felonfinder): inverted, given a
# bigger smile, every step pasted back into the full photo.
photo=$(ls "${TALK_TO_EDIT_MODELS:-$HOME/.cache/talk-to-edit/models}"/felonfinder-*/felonfinder/img/faces/000007.jpg)
"$bin" edit --image "$photo" --paste-back --attribute smiling --change +1 --out-dir out/photo-edit
echo "faces in out/faces, the demo dialog in out/demo, a photo edit in out/photo-edit"
