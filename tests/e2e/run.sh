#!/usr/bin/env bash
# End-to-end tests of the OpenFront control plane (builds ./cmd/openfront once per run).
# Usage: tests/e2e/run.sh [extra unittest args]
#   OPENFRONT_E2E_BINARY=/path/to/openfront  use a prebuilt binary instead of `go build`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec python3 -m unittest discover -s tests/e2e -p 'test_*.py' -v "$@"
