#!/usr/bin/env bash
# Installs the OpenVINO CPU reference of the generator (pinned as ../shared/reference/README.md
# says) into .venv-reference, for `talk-to-edit bench generator`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv-reference/bin/python ] || python3 -m venv .venv-reference
.venv-reference/bin/python -m pip install -q numpy==2.4.6 openvino==2026.4.1 pillow==13.0.0
.venv-reference/bin/python -c "import openvino; print('openvino', openvino.__version__)"
