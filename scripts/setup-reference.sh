#!/usr/bin/env bash
# Installs the OpenVINO CPU reference of the generator into .venv-reference, for
# `talk-to-edit bench generator` and for regenerating tests/fixtures/reference
# (scripts/reference_openvino.py). Pinned: openvino 2026.4.1, numpy 2.4.6, pillow 13.0.0 (the
# versions the committed fixtures were made with). The IR files come from the model cache
# (`talk-to-edit models fetch`: PyPI random-face==2021.7.21.1), not from this venv.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv-reference/bin/python ] || python3 -m venv .venv-reference
.venv-reference/bin/python -m pip install -q numpy==2.4.6 openvino==2026.4.1 pillow==13.0.0
.venv-reference/bin/python -c "import openvino; print('openvino', openvino.__version__)"
