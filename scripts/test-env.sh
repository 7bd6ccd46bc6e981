#!/usr/bin/env bash
# The test suite in a fresh environment at one end of every declared dependency range.
#
#   bash scripts/test-env.sh newest   every dependency at its newest release on the index today,
#                                     resolved now (what `pip install reqconv` gives a user),
#                                     not from uv.lock
#   bash scripts/test-env.sh lowest   the lowest versions pyproject.toml allows for each direct
#                                     dependency (uv pip install --resolution lowest-direct)
#
# Each makes .venv-<name> anew, prints the versions it got, then runs the tests that need no Docker
# engine (the locked environment of the README's test command runs those). Extra arguments go to
# pytest. uv comes from `python3 -m uv` (bootstrapped with `python3 -m pip install uv`), or $UV.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: test-env.sh newest|lowest [pytest args]}
shift
case "$name" in
  newest) resolution=(--resolution highest --refresh) ;;
  lowest) resolution=(--resolution lowest-direct --refresh) ;;
  *) echo "test-env: unknown environment '$name' (newest or lowest)" >&2; exit 2 ;;
esac
if [ -n "${UV:-}" ]; then uv=("$UV"); else uv=(python3 -m uv); fi
venv=".venv-$name"
rm -rf "$venv"
"${uv[@]}" venv -q --python "${PYTHON:-python3}" "$venv"
"${uv[@]}" pip install -q --python "$venv/bin/python" "${resolution[@]}" -e '.[test]'
versions=$("${uv[@]}" pip freeze --python "$venv/bin/python" --exclude-editable | tr '\n' ' ')
echo "test-env: $name: $versions"
set +e
"$venv/bin/python" -m pytest -m "not docker" -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test-env: $name: pytest collected no tests; that is a failure" >&2
  rc=1
fi
if [ "$rc" -ne 0 ]; then
  echo "test-env: the $name environment FAILED (pytest exit $rc); it had: $versions" >&2
fi
exit "$rc"
