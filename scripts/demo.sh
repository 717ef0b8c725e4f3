#!/usr/bin/env bash
# The main job on a fresh machine: set up (build + fetch models), render a few faces, then run the
# scripted demo dialog on a bundled face. Everything is written under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bin=./target/release/talk-to-edit
mkdir -p out/faces
for seed in 0 1 2 3; do
  "$bin" render --seed "$seed" --truncation 0.7 --size 512 --out "out/faces/seed$seed.png"
done
"$bin" demo --out out/demo
echo "faces in out/faces, the demo dialog in out/demo"
