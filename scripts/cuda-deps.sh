#!/usr/bin/env bash
# Installs, from PyPI, what `cargo build --features cuda` needs on a machine without a GPU: CUDA
# 13.0's nvcc (with cicc/libnvvm, crt and cccl headers), and the runtime, cuBLAS, cuRAND and NVRTC
# libraries the binary links to (candle 0.11 links cudarc with `dynamic-linking`). 13.0 is the
# CUDA of the GPU machines this project is checked on (driver 580, PyTorch cu130): a binary built
# here finds the same sonames there (libcublas.so.13, libnvrtc.so.13, libcurand.so.10,
# libcudart.so.13), and its PTX (ISA 9.0) loads under that driver.
#
# The driver library (libcuda.so.1) is no PyPI package: a stub with the driver API's names is
# generated for the linker (as CUDA's own lib/stubs/libcuda.so is); at run time the dynamic loader
# finds the real driver's. Idempotent. Prints the prefix (nvidia/cu13 inside it) on stdout.
#   TTE_CUDA_PREFIX=DIR bash scripts/cuda-deps.sh   (default ~/.cache/talk-to-edit/cuda-13.0)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${TTE_CUDA_PREFIX:-$HOME/.cache/talk-to-edit/cuda-13.0}
root=$prefix/nvidia/cu13
# nvcc compiles host code with g++; the stub below needs cc.
if ! command -v g++ >/dev/null; then
  echo "installing g++ with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >&2
fi
if [ ! -x "$root/bin/nvcc" ] || [ ! -x "$root/nvvm/bin/cicc" ] || [ ! -e "$root/lib/libcublas.so.13" ]; then
  echo "installing CUDA 13.0 build tools and libraries from PyPI into $prefix" >&2
  # nvidia-nvvm is pinned too: the nvcc wheel leaves it unpinned, and a newer cicc writes PTX
  # that 13.0's ptxas rejects.
  python3 -m pip install -q --no-warn-script-location --disable-pip-version-check --target "$prefix" \
    "cuda-toolkit[nvcc,cudart,crt,cccl,cublas,curand,nvrtc]==13.0.2" nvidia-nvvm==13.0.88 >&2
fi
"$root/bin/nvcc" --version | grep -q "release 13.0" || { echo "nvcc in $root is not 13.0" >&2; exit 1; }

# Unversioned names for the linker (-lcublas ...).
for lib in cublas cublasLt curand nvrtc cudart; do
  so=$(ls "$root"/lib/lib$lib.so.* | head -n1)
  ln -sf "$(basename "$so")" "$root/lib/lib$lib.so"
done

# libcuda.so stub: every driver-API function cudarc declares, as an empty symbol.
stub=$root/lib/stubs/libcuda.so
if [ ! -e "$stub" ]; then
  cargo fetch --locked -q >&2
  registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
  sys=$(ls -d "$registry"/*/cudarc-0.19.*/src/driver/sys/mod.rs | tail -n1)
  mkdir -p "$root/lib/stubs"
  grep -oE 'fn cu[A-Za-z0-9_]+\(' "$sys" | sed 's/^fn //; s/($//' | sort -u \
    | sed 's/.*/void &(void) {}/' > "$root/lib/stubs/libcuda_stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$stub" "$root/lib/stubs/libcuda_stub.c"
fi
echo "$prefix"
