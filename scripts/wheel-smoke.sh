#!/usr/bin/env bash
# The README's tool install, as a user runs it: `uv build`, then `uv tool install` of the built
# wheel into a throwaway tool folder, then `reqconv --version` and a real `reqconv convert
# --no-lock` of the bundled monorepo's worker. Reaches PyPI (the wheel's dependencies), so it runs
# in CI's set-up, not in pytest (tests/test_wheel.py is the offline test of the same wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${UV:-}" ]; then uv=("$UV"); else uv=(python3 -m uv); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${uv[@]}" build -q --out-dir "$work/dist"
export UV_TOOL_DIR="$work/tools" UV_TOOL_BIN_DIR="$work/bin"
"${uv[@]}" tool install -q --python "${PYTHON:-python3}" "$work"/dist/reqconv-*.whl
"$work/bin/reqconv" --version
cp -r fixtures/monorepo "$work/monorepo"
(cd "$work" && "$work/bin/reqconv" convert --no-lock monorepo/apps/worker)
grep -q 'uv pip sync' "$work/monorepo/apps/worker/Dockerfile"
grep -q '^name = "worker"' "$work/monorepo/apps/worker/pyproject.toml"
echo "wheel-smoke: uv tool install of the built wheel ran convert"
