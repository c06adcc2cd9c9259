#!/usr/bin/env bash
# Create the virtual environment .venv if missing and install the workbook into it (idempotent).
# torch is installed first as the pinned CPU wheel so that nothing pulls a multi-GB CUDA build;
# on a CUDA machine set TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cu128) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    .venv/bin/pip install "torch==2.13.0" --index-url "$TORCH_INDEX_URL"
  else
    .venv/bin/pip install "torch==2.13.0"
  fi
  # the package was called course-lib before the tooling moved to `workbook`: drop that install
  .venv/bin/pip uninstall -y -q course-lib 2>/dev/null || true
  .venv/bin/pip install -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# module 08's test oracle; mup declares torchvision, whose wheel would replace the pinned torch
if ! .venv/bin/python -c "import mup" 2>/dev/null; then
  .venv/bin/pip install --no-deps "mup==1.0.0"
fi
