#!/usr/bin/env bash
# Runs every test of the workspace in the release profile (the one profile this project builds),
# after the same system set-up as scripts/setup.sh. Tests that need the generator fetch and convert
# it themselves (pip reaches PyPI); they fail, never skip, when they cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
cargo fmt --all -- --check
cargo test --release --locked --workspace
