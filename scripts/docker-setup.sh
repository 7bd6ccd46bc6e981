#!/usr/bin/env bash
# Everything the real-build tests (tests/builds/) and `nox -s bench-docker` need from Docker, made
# on this machine because no image registry is reachable (../shared/docker-builds.md):
#   1. an engine: Debian's docker.io, installed when no engine answers, dockerd started when needed;
#   2. stand-in Python base images (python:3.11-slim, python:3.11, ...) from a debootstrap rootfs
#      with Debian's Python, pip and venv, set up to reach the tests' loopback package index; the
#      full tags (no `slim` in them) also carry a C toolchain and Python's headers (build-essential,
#      python3-dev), as the official full images do, so an sdist with a C extension compiles there
#      and not in -slim (what `reqconv docker --multi-stage` relies on);
#   3. ghcr.io/astral-sh/uv:<version> (FROM scratch: /uv and /uvx), the uv that reqconv pins.
# Idempotent: a rerun that finds all of it takes a few seconds. Needs root; may use the network
# (the Debian mirror, PyPI); the tests themselves never do. Run it after `pip install -e .`: the uv
# version comes from reqconv (PYTHON, default .venv/bin/python, must import reqconv).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker # Debian's 20.10 client; the 28.x one in /usr/local/bin has no buildx
export DOCKER_BUILDKIT=1
PYTHON=${PYTHON:-.venv/bin/python}
CACHE=${REQCONV_DOCKER_CACHE:-/var/cache/reqconv-docker}
LOG=${REQCONV_DOCKERD_LOG:-/var/log/reqconv-dockerd.log}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the stand-in image recipe changes: images carrying another value are made again.
RECIPE=1
# What the stand-ins point pip and uv at. The name never resolves (.invalid, RFC 2606): a build
# reaches it only through the HTTP proxy a test or the bench serves on 127.0.0.1 and passes with
# --build-arg HTTP_PROXY=... --network host, so a build can reach nothing else.
INDEX_URL=http://reqconv-index.invalid/simple/

say() { printf 'docker-setup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (installs packages, starts dockerd, runs debootstrap)"
mkdir -p "$CACHE"
# One set-up at a time on this machine (several sessions may start the tests together).
exec 9>"$CACHE/.lock"
flock 9
start=$(date +%s)

# --- 1. engine ---------------------------------------------------------------------------------
engine_up() { "$DOCKER" info >/dev/null 2>&1; }
if ! engine_up; then
  missing=()
  [ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! pgrep -x dockerd >/dev/null; then
    say "starting dockerd (log: $LOG)"
    setsid /usr/sbin/dockerd >>"$LOG" 2>&1 </dev/null 9>&- &  # 9>&-: not the set-up lock
  fi
  for _ in $(seq 1 60); do engine_up && break; sleep 0.5; done
  engine_up || die "dockerd did not answer within 30 s; see $LOG"
fi
command -v debootstrap >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}
say "engine: $("$DOCKER" version --format '{{.Server.Version}}')"

# --- 2. stand-in Python images -----------------------------------------------------------------
# Every python:<tag> that a buildable fixture starts FROM, plus the two the bench and docs use.
tags=$(
  { printf 'python:3.11-slim\npython:3.11\n'
    find fixtures/builds -type f -iname '*dockerfile*' -exec sed -nE 's/^[[:space:]]*FROM[[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?(python:[^[:space:]$]+).*/\2/Ip' {} + 2>/dev/null || true
  } | sort -u
)

suite_for() { # python:<tag> -> the Debian suite whose python3 is that version
  case "${1#python:}" in
    3 | 3-slim | 3.11 | 3.11-slim | 3.11-bookworm | 3.11-slim-bookworm) echo bookworm ;;
    3.13 | 3.13-slim | 3.13-trixie | 3.13-slim-trixie) echo trixie ;;
    *) return 1 ;;
  esac
}

variant_of() { # python:<tag> -> slim (no compilers) or full (build-essential, python3-dev)
  case "$1" in *slim*) echo slim ;; *) echo full ;; esac
}

rootfs_tar() { # suite variant -> path of a cached tarball of the customised root filesystem
  local suite=$1 variant=$2 tar dir extra=""
  tar="$CACHE/python-$suite-r$RECIPE.tar"
  if [ "$variant" = full ]; then
    tar="$CACHE/python-$suite-full-r$RECIPE.tar"
    extra="build-essential python3-dev"
  fi
  if [ ! -s "$tar" ]; then
    dir=$(mktemp -d "$CACHE/rootfs-$suite.XXXXXX")
    say "debootstrap $suite (about 30 s)"
    debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" >"$CACHE/debootstrap-$suite.log" 2>&1 ||
      die "debootstrap failed; see $CACHE/debootstrap-$suite.log"
    say "installing python3, venv and pip${extra:+ and $extra} in the $suite rootfs"
    chroot "$dir" env EXTRA="$extra" sh -ec '
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip python-is-python3 ca-certificates $EXTRA >/dev/null
      apt-get clean
      rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
      # The official image: Python in /usr/local/bin, pip usable as root without a venv.
      for name in python python3 pip pip3; do ln -sf "/usr/bin/$name" "/usr/local/bin/$name"; done
      rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
    ' >>"$CACHE/debootstrap-$suite.log" 2>&1 || die "chroot set-up failed; see $CACHE/debootstrap-$suite.log"
    chroot "$dir" python3 -c 'import platform; print(platform.python_version())' >"$tar.version"
    tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}

image_recipe() { "$DOCKER" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" 2>/dev/null | sed -n 's/^REQCONV_STANDIN=//p'; }

declare -A imported=() # suite-variant -> image id made in this run
for tag in $tags; do
  suite=$(suite_for "$tag") || { say "warning: no stand-in for $tag (Debian has Python 3.11 in bookworm, 3.13 in trixie); skipped"; continue; }
  variant=$(variant_of "$tag")
  want="$suite-r$RECIPE"
  [ "$variant" = full ] && want="$suite-full-r$RECIPE"
  [ "$(image_recipe "$tag")" = "$want" ] && continue
  if [ -z "${imported[$suite-$variant]:-}" ]; then
    tar=$(rootfs_tar "$suite" "$variant")
    version=$(cat "$tar.version")
    say "importing $suite rootfs as $tag"
    imported[$suite-$variant]=$(
      "$DOCKER" import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "ENV PYTHON_VERSION=$version" \
        --change "ENV PIP_INDEX_URL=$INDEX_URL" \
        --change 'ENV PIP_TRUSTED_HOST=reqconv-index.invalid' \
        --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
        --change "ENV UV_DEFAULT_INDEX=$INDEX_URL" \
        --change "ENV REQCONV_STANDIN=$want" \
        --change 'CMD ["python3"]' \
        "$tar" "$tag"
    )
  else
    "$DOCKER" tag "${imported[$suite-$variant]}" "$tag"
  fi
done

# --- 3. the uv image -----------------------------------------------------------------------------
[ -x "$PYTHON" ] || die "$PYTHON not found: make the venv first (pip install -e .), or set PYTHON"
uv_version=$("$PYTHON" -c 'from reqconv.docker.plan import resolve_uv_version; print(resolve_uv_version())')
uv_tag="ghcr.io/astral-sh/uv:$uv_version"
if ! "$DOCKER" image inspect "$uv_tag" >/dev/null 2>&1; then
  dir="$CACHE/uv-$uv_version"
  if [ ! -x "$dir/uv" ]; then
    say "fetching the uv $uv_version wheel from PyPI"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/wheel"
    # The machine's pip: a venv made by uv sync has none.
    "${PIP_PYTHON:-python3}" -m pip download -q --no-deps --only-binary=:all: --platform "manylinux_2_17_$(uname -m)" \
      --dest "$dir.tmp/wheel" "uv==$uv_version"
    "$PYTHON" - "$dir.tmp" <<'EOF'
import pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
(wheel,) = (out / "wheel").glob("uv-*.whl")
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        if name.endswith(("/scripts/uv", "/scripts/uvx")):
            target = out / name.rsplit("/", 1)[1]
            target.write_bytes(zf.read(name))
            target.chmod(0o755)  # zipfile drops the execute bit
EOF
    rm -rf "$dir.tmp/wheel" "$dir" && mv "$dir.tmp" "$dir"
  fi
  say "making $uv_tag"
  tar -C "$dir" --numeric-owner --owner=0 --group=0 -cf - uv uvx | "$DOCKER" import - "$uv_tag" >/dev/null
fi

say "ready in $(($(date +%s) - start)) s: $(echo $tags) $uv_tag"
