#!/usr/bin/env bash
# Compiles the CUDA build (`--features cuda`) on any machine, GPU or not, into target/cuda (its own
# target dir, so the CPU build in target/ is left as it is). The compute capability is explicit
# (no GPU to detect): 90, the H100/H200 (override with CUDA_COMPUTE_CAP). The binary is
# target/cuda/release/talk-to-edit; it needs the CUDA 13 runtime libraries and a 580+ driver.
#   bash scripts/build-cuda.sh [extra cargo args]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(bash scripts/cuda-deps.sh)
root=$prefix/nvidia/cu13
export CUDA_HOME=$root
export PATH=$root/bin:$PATH
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
export CUDARC_CUDA_VERSION=13000
export LIBRARY_PATH=$root/lib:$root/lib/stubs${LIBRARY_PATH:+:$LIBRARY_PATH}
cargo build --release --locked --features cuda -p talk-to-edit --target-dir target/cuda "$@"
