# shellcheck shell=bash
# Shared helpers for berth's integration-test environment scripts.
# Sourced by engine.sh, dockerd-private.sh and test-users.sh; not run directly.

# shellcheck disable=SC2034 # used by the scripts that source this file
BERTH_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# ensure_packages CHECK:PKG ... — apt-get install each PKG whose CHECK fails.
# CHECK is a command name, an absolute path that must exist, or empty (":PKG")
# to check the package's dpkg status. Runs `apt-get update` at most once per
# process, and only when something actually has to be installed. Services are
# not started on install (a temporary policy-rc.d denies it), so installing
# docker.io never brings up a system dockerd.
_BERTH_APT_UPDATED=0
ensure_packages() {
  local spec check pkg missing=()
  for spec in "$@"; do
    check=${spec%%:*} pkg=${spec#*:}
    if [[ -z $check ]]; then
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' && continue
    elif [[ $check == /* ]]; then
      [[ -e $check ]] && continue
    else
      command -v "$check" >/dev/null 2>&1 && continue
    fi
    missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  require_root
  log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  if ((_BERTH_APT_UPDATED == 0)); then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || rc=$?
    _BERTH_APT_UPDATED=1
  fi
  ((rc)) || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2 || rc=$?
  ((own_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

# The docker CLI to use: the stock client if present, else Debian's.
docker_cli() {
  if [[ -n ${BERTH_DOCKER_CLI:-} ]]; then
    printf '%s\n' "$BERTH_DOCKER_CLI"
  elif [[ -x /usr/local/bin/docker ]]; then
    printf '%s\n' /usr/local/bin/docker
  else
    ensure_packages docker:docker.io
    command -v docker
  fi
}

# A JDK 25 or newer: $JAVA_HOME if it is one, else the first under /usr/lib/jvm.
find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [[ -n $c && -x $c/bin/javac ]] || continue
    if "$c/bin/java" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  die "no JDK 25 or newer found; install one under /usr/lib/jvm or set JAVA_HOME"
}

# Builds berth (skipping tests) unless the launcher's jar is newer than every source file.
build_berth() {
  local top jar
  top=$(cd "$BERTH_SCRIPTS_DIR/.." && pwd)
  jar=$top/berth-cli/target/berth-cli.jar
  if [[ -f $jar ]] && [[ -z $(find "$top" -path "$top/*/target" -prune -o \
      \( -name '*.java' -o -name pom.xml -o -name '*.properties' \) -newer "$jar" -print -quit) ]]; then
    return 0
  fi
  ensure_packages mvn:maven
  log "building berth"
  (cd "$top" && JAVA_HOME=$(find_jdk) mvn -B -q -DskipTests package) >&2
}
