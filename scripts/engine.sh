#!/usr/bin/env bash
# engine.sh — fetch a current Docker engine (dockerd + containerd) from Debian
# sid (fallback: trixie) WITHOUT installing it: packages are downloaded with a
# private apt configuration and unpacked with dpkg-deb into a cache directory.
# runc is not fetched: the system (bookworm) runc is used.
#
#   scripts/engine.sh fetch-current   download+unpack if needed; print dockerd path
#   scripts/engine.sh path-current    print dockerd path if already unpacked, else fail
#   scripts/engine.sh fetch-buildx    download+unpack Debian's docker-buildx (the CLI plugin
#                                     `docker build` uses with current Docker packages) into
#                                     its own cache; print the plugin's path. Nothing is
#                                     installed: tests point DOCKER_CONFIG at a directory whose
#                                     cli-plugins/ links to it.
#   scripts/engine.sh fetch-compose   the same for docker compose v2 (Debian's
#                                     docker-compose package); print the directory
#                                     that holds the docker-compose CLI plugin
#
# Environment:
#   BERTH_ENGINE_CACHE   cache dir (default /var/cache/berth-test/engine-current)
#   BERTH_COMPOSE_CACHE  cache dir for compose (default /var/cache/berth-test/compose)
#   BERTH_ENGINE_SUITES  suites to try in order (default "sid trixie")
#   BERTH_DEBIAN_MIRROR  Debian mirror URL (default: derived from the system's
#                        apt sources)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CACHE=${BERTH_ENGINE_CACHE:-/var/cache/berth-test/engine-current}
ROOT=$CACHE/root                    # unpacked packages live here
DOCKERD=$ROOT/usr/sbin/dockerd
STAMP=$CACHE/.complete              # written last; holds what was fetched

# Print the Debian archive URL this machine's apt uses for its main suite
# (deb822 *.sources and one-line *.list / sources.list are both understood).
derive_mirror() {
  if [[ -n ${BERTH_DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "${BERTH_DEBIAN_MIRROR%/}"
    return
  fi
  local codename files=()
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  shopt -s nullglob
  files+=(/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  ((${#files[@]})) || die "no apt sources found"
  # Emit "URI SUITE" for every enabled binary (deb) source.
  local pairs
  pairs=$(awk '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && enabled != "no")
        for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
      types = ""; enabled = ""; nu = 0; ns = 0
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      key = tolower($1); sub(/:$/, "", key)
      if (key == "types")   { $1 = ""; types = $0 " " }
      if (key == "enabled") { enabled = tolower($2) }
      if (key == "uris")    { for (k = 2; k <= NF; k++) u[++nu] = $k }
      if (key == "suites")  { for (k = 2; k <= NF; k++) s[++ns] = $k }
      next
    }
    $1 == "deb" {
      k = 2
      if ($k ~ /^\[/) { while ($k !~ /\]$/ && k < NF) k++; k++ }
      print $k, $(k + 1)
    }
    END { flush() }
  ' "${files[@]}")
  local uri
  # Prefer the URI that serves the machine's own main suite (not -security).
  uri=$(awk -v c="$codename" '$2 == c { print $1; exit }' <<<"$pairs")
  [[ -n $uri ]] || uri=$(awk '$1 !~ /security/ && $1 ~ /debian/ { print $1; exit }' <<<"$pairs")
  [[ -n $uri ]] || die "could not derive a Debian mirror from apt sources; set BERTH_DEBIAN_MIRROR"
  printf '%s\n' "${uri%/}"
}

# apt-get/apt-cache with a private sources list, lists and cache: the system's
# apt state is neither read for sources nor modified.
private_apt() {
  local tool=$1; shift
  "$tool" \
    -o Dir::Etc::sourcelist="$CACHE/apt/sources.list" \
    -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$CACHE/apt/lists" \
    -o Dir::Cache="$CACHE/apt/cache" \
    -o APT::Sandbox::User=root \
    "$@"
}

# Download and unpack PACKAGES from SUITE into $CACHE/root; VERIFY is a function
# that checks the unpacked tree ($CACHE/root.new) before it replaces $ROOT.
fetch_suite() {
  local suite=$1 mirror=$2 verify=$3 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  shift 3
  local pkgs=("$@") p
  rm -rf "$CACHE/apt" "$CACHE/debs" "$CACHE/root.new"
  mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/debs"
  echo "deb [signed-by=$keyring] $mirror $suite main" >"$CACHE/apt/sources.list"
  log "apt update ($suite from $mirror, private state in $CACHE/apt)"
  private_apt apt-get -qq update >&2 || return 1
  for p in "${pkgs[@]}"; do
    log "  $p $(private_apt apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')"
  done
  (cd "$CACHE/debs" && private_apt apt-get -qq download "${pkgs[@]}" >&2) || return 1
  mkdir -p "$CACHE/root.new"
  for p in "$CACHE"/debs/*.deb; do
    dpkg-deb -x "$p" "$CACHE/root.new"
  done
  "$verify" || return 1
  rm -rf "$ROOT"
  mv "$CACHE/root.new" "$ROOT"
  { echo "suite=$suite"
    echo "mirror=$mirror"
    for p in "$CACHE"/debs/*.deb; do echo "deb=${p##*/}"; done
  } >"$STAMP"
  rm -rf "$CACHE/debs" "$CACHE/apt"
}

verify_engine() {
  # docker.io ships docker-init -> tini-static (a separate package): point it
  # at the system's tini-static, or drop it so PATH lookup falls through.
  local init=$CACHE/root.new/usr/bin/docker-init
  if [[ -L $init && ! -e $init ]]; then
    rm -f "$init"
    [[ -x /usr/bin/tini-static ]] && ln -s /usr/bin/tini-static "$init"
  fi
  "$CACHE/root.new/usr/sbin/dockerd" --version >&2 || return 1
  "$CACHE/root.new/usr/bin/containerd" --version >&2
}

verify_compose() {
  "$CACHE/root.new/$COMPOSE_PLUGIN" version >&2
}

fetch_current() {
  if [[ -f $STAMP && -x $DOCKERD ]]; then
    log "already unpacked ($(grep '^suite=' "$STAMP")): $("$DOCKERD" --version)"
    printf '%s\n' "$DOCKERD"
    return
  fi
  require_root
  mkdir -p "$CACHE"
  # Serialise concurrent fetches (e.g. two test daemons starting at once).
  exec 9>"$CACHE/.lock"
  flock 9
  if [[ -f $STAMP && -x $DOCKERD ]]; then
    printf '%s\n' "$DOCKERD"
    return
  fi
  ensure_packages apt-get:apt dpkg-deb:dpkg /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring \
    runc:runc
  local mirror suite
  mirror=$(derive_mirror)
  rm -f "$STAMP"
  for suite in ${BERTH_ENGINE_SUITES:-sid trixie}; do
    if fetch_suite "$suite" "$mirror" verify_engine docker.io containerd; then
      log "unpacked $suite engine into $ROOT"
      printf '%s\n' "$DOCKERD"
      return
    fi
    log "fetching from $suite failed; trying next suite"
  done
  die "could not fetch a current docker engine"
}

# docker-buildx from the first suite that has it, unpacked into its own cache.
fetch_buildx() {
  local cache=${BERTH_BUILDX_CACHE:-/var/cache/berth-test/buildx}
  local plugin=$cache/root/usr/libexec/docker/cli-plugins/docker-buildx
  if [[ -f $cache/.complete && -x $plugin ]]; then
    printf '%s
' "$plugin"
    return
  fi
  require_root
  mkdir -p "$cache"
  exec 8>"$cache/.lock"
  flock 8
  if [[ -f $cache/.complete && -x $plugin ]]; then
    printf '%s
' "$plugin"
    return
  fi
  ensure_packages apt-get:apt dpkg-deb:dpkg /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
  local mirror suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mirror=$(derive_mirror)
  CACHE=$cache
  for suite in ${BERTH_ENGINE_SUITES:-sid trixie}; do
    rm -rf "$cache/apt" "$cache/debs" "$cache/root"
    mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/debs"
    echo "deb [signed-by=$keyring] $mirror $suite main" >"$cache/apt/sources.list"
    if private_apt apt-get -qq update >&2 \
        && (cd "$cache/debs" && private_apt apt-get -qq download docker-buildx >&2); then
      dpkg-deb -x "$cache"/debs/docker-buildx_*.deb "$cache/root"
      "$plugin" version >&2 || continue
      echo "suite=$suite" >"$cache/.complete"
      rm -rf "$cache/apt" "$cache/debs"
      log "unpacked docker-buildx from $suite into $cache/root"
      printf '%s\n' "$plugin"
      return
    fi
    log "fetching docker-buildx from $suite failed; trying next suite"
  done
  die "could not fetch docker-buildx"
}

# Docker compose v2 as a CLI plugin, from the same suites (Debian's docker-compose
# package is compose v2, a static Go binary installed as a docker CLI plugin).
COMPOSE_PLUGIN=usr/libexec/docker/cli-plugins/docker-compose
fetch_compose() {
  CACHE=${BERTH_COMPOSE_CACHE:-/var/cache/berth-test/compose}
  ROOT=$CACHE/root
  STAMP=$CACHE/.complete
  local plugin=$ROOT/$COMPOSE_PLUGIN
  if [[ -f $STAMP && -x $plugin ]]; then
    printf '%s\n' "${plugin%/*}"
    return
  fi
  require_root
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  if [[ -f $STAMP && -x $plugin ]]; then
    printf '%s\n' "${plugin%/*}"
    return
  fi
  ensure_packages apt-get:apt dpkg-deb:dpkg /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
  local mirror suite
  mirror=$(derive_mirror)
  rm -f "$STAMP"
  for suite in ${BERTH_ENGINE_SUITES:-sid trixie}; do
    if fetch_suite "$suite" "$mirror" verify_compose docker-compose; then
      log "unpacked $suite docker-compose into $ROOT"
      printf '%s\n' "${plugin%/*}"
      return
    fi
    log "fetching docker-compose from $suite failed; trying next suite"
  done
  die "could not fetch docker compose"
}

case ${1:-} in
  fetch-current) fetch_current ;;
  fetch-buildx) fetch_buildx ;;
  path-current)
    [[ -f $STAMP && -x $DOCKERD ]] || die "current engine not fetched; run: $0 fetch-current"
    printf '%s\n' "$DOCKERD" ;;
  fetch-compose) fetch_compose ;;
  mirror) derive_mirror ;;
  *) echo "usage: $0 fetch-current | path-current | fetch-buildx | fetch-compose | mirror" >&2; exit 2 ;;
esac
