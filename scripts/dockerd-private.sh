#!/usr/bin/env bash
# dockerd-private.sh — run a PRIVATE Docker daemon for integration tests that
# never touches the system one: own socket, data-root, exec-root, pidfile,
# config file, cgroup parent and managed containerd, no bridge and no
# iptables, inside a private mount namespace where /run/docker/plugins is an
# empty tmpfs (stale plugin sockets left by other tests cannot stall it).
# Several daemons (different DIRs, either flavour) can run side by side.
#
#   scripts/dockerd-private.sh start DIR [debian|current]
#       debian  = Debian's dockerd (/usr/sbin/dockerd, 20.10 on bookworm)
#       current = the engine unpacked by scripts/engine.sh fetch-current
#       Waits until the daemon answers, imports image berth-test:latest
#       (busybox-static), and prints DOCKER_HOST=... and BERTH_DOCKER_API=... (server API)
#   scripts/dockerd-private.sh stop DIR    stop it and clean up; safe to repeat
#   scripts/dockerd-private.sh clean DIR   stop, then delete DIR
#
# Keep DIR short (unix socket paths are limited to 108 bytes), e.g. /tmp/bd1.
# Environment: BERTH_DOCKERD_TIMEOUT (start wait, default 60 s),
#              BERTH_DOCKERD_ARGS (extra dockerd arguments).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=berth-test:latest
APPLETS=(sh ash id cat echo sleep ls chroot whoami touch stat mkdir chmod chown
  cp mv rm ln true false head tail wc env hostname ps top grep seq yes dd
  pwd printf test '[' kill sed awk sort uniq tr cut tee xargs find du df date
  uname readlink realpath dirname basename mount umount nproc timeout sync)

usage() {
  echo "usage: $0 start DIR [debian|current] | stop DIR | clean DIR" >&2
  exit 2
}

# --- helpers ---------------------------------------------------------------

# A process is alive if it exists and is not a zombie.
alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# PID of this DIR's dockerd, if it is running.
daemon_pid() {
  local f pid
  for f in "$DIR/docker.pid" "$DIR/launcher.pid"; do
    [[ -s $f ]] || continue
    pid=$(<"$f")
    alive "$pid" || continue
    # Guard against PID reuse: it must be a dockerd for this DIR.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $DIR/data" || continue
    printf '%s\n' "$pid"
    return 0
  done
  return 1
}

# A /16 of 10.0.0.0/8 chosen by DIR, cut into /24 networks (256 per daemon): daemons side by side
# each draw from their own pool instead of sharing dockerd's default 31 (172.17-31/16 and
# 192.168/20s), which their leftover routes exhaust.
address_pool() {
  local sum
  sum=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
  echo "10.$((sum % 200 + 40)).0.0/16"
}

dk() { "$DOCKER" -H "unix://$DIR/docker.sock" "$@"; }

api_version() { dk version --format '{{.Server.APIVersion}}' 2>/dev/null; }

# cgroup parent for this DIR's containers: unique per DIR, readable.
cgroup_name() {
  printf 'berth-%s-%s\n' "$(basename "$DIR")" "$(printf '%s' "$DIR" | sha256sum | cut -c1-8)"
}

# Build berth-test:latest from busybox-static with `docker import`.
ensure_image() {
  if dk image inspect "$IMAGE" >/dev/null 2>&1; then
    return
  fi
  local tmp rootfs applet available
  tmp=$(mktemp -d)
  rootfs=$tmp/rootfs
  mkdir -p "$rootfs"/{bin,etc,root,home,tmp,usr/bin,var/tmp,proc,sys,dev}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 700 "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  available=" $(/bin/busybox --list | tr '\n' ' ') "
  for applet in "${APPLETS[@]}"; do
    [[ $available == *" $applet "* ]] && ln -s busybox "$rootfs/bin/$applet"
  done
  ln -s ../../bin/env "$rootfs/usr/bin/env"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$rootfs/etc/hosts"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$tmp/rootfs.tar" .
  dk import --change 'CMD ["sh"]' "$tmp/rootfs.tar" "$IMAGE" >/dev/null
  rm -rf "$tmp"
  log "imported $IMAGE"
}

# --- start -----------------------------------------------------------------

start() {
  local flavor=${1:-debian} dockerd path
  require_root
  ensure_packages dockerd:docker.io containerd:containerd runc:runc \
    :busybox-static unshare:util-linux ip:iproute2

  case $flavor in
    debian)
      dockerd=/usr/sbin/dockerd
      path=/usr/sbin:/usr/bin:/sbin:/bin ;;
    current)
      dockerd=$("$BERTH_SCRIPTS_DIR/engine.sh" fetch-current)
      local root=${dockerd%/usr/sbin/dockerd}
      # Unpacked containerd + shim first on PATH; runc comes from the system.
      path=$root/usr/bin:$root/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin ;;
    *) usage ;;
  esac

  local pid
  if pid=$(daemon_pid); then
    if api_version >/dev/null; then
      log "already running (pid $pid, $(<"$DIR/flavor"))"
      ensure_image
      report
      return
    fi
    die "dockerd pid $pid for $DIR is running but not answering; run: $0 stop $DIR"
  fi

  mkdir -p "$DIR/data" "$DIR/exec" "$DIR/etc"
  chmod 711 "$DIR"
  echo '{}' >"$DIR/daemon.json" # never read /etc/docker/daemon.json
  echo "$flavor" >"$DIR/flavor"
  rm -f "$DIR/docker.sock" "$DIR/docker.pid" "$DIR/launcher.pid"

  local args=(
    --host "unix://$DIR/docker.sock"
    --data-root "$DIR/data"
    --exec-root "$DIR/exec"
    --pidfile "$DIR/docker.pid"
    --config-file "$DIR/daemon.json"
    --bridge=none --iptables=false --ip6tables=false --userland-proxy=false
    --default-address-pool "base=$(address_pool),size=24"
    --exec-opt native.cgroupdriver=cgroupfs
    --cgroup-parent "/$(cgroup_name)"
    --shutdown-timeout 5
  )
  # shellcheck disable=SC2206
  [[ -n ${BERTH_DOCKERD_ARGS:-} ]] && args+=(${BERTH_DOCKERD_ARGS})

  # Private mount namespace (mounts propagate in from the host, never out):
  # container mounts stay invisible to the host and vanish with the daemon,
  # and plugin directories are replaced by empty tmpfs.
  # /run/containerd gets a private tmpfs too: containerd puts its shims'
  # sockets in /run/containerd/s regardless of its configured state dir.
  # /etc/docker is replaced by DIR/etc: dockerd 20.10 writes its identity
  # key to /etc/docker/key.json and would read certs/plugins from there.
  # shellcheck disable=SC2016 # expanded by the inner sh
  local inner='
    set -e
    mkdir -p /run/docker/plugins /run/containerd /etc/docker
    mount -t tmpfs -o size=16m,mode=0711 berth-containerd /run/containerd
    mount --bind "$BERTH_DIR/etc" /etc/docker
    for d in /run/docker/plugins /usr/lib/docker/plugins; do
      [ -d "$d" ] && mount -t tmpfs -o size=1m,mode=0755 berth-empty "$d"
    done
    exec "$@"'
  local t0=$SECONDS t0r=$EPOCHREALTIME
  log "starting $flavor dockerd ($("$dockerd" --version)) in $DIR"
  {
    echo "=== $(date -Is) start $flavor: $dockerd ${args[*]}"
  } >>"$DIR/dockerd.log"
  BERTH_DIR=$DIR setsid unshare --mount --propagation slave -- /bin/sh -c "$inner" berth-dockerd \
    env -i PATH="$path" HOME=/root "$dockerd" "${args[@]}" \
    >>"$DIR/dockerd.log" 2>&1 </dev/null &
  echo $! >"$DIR/launcher.pid"

  local timeout=${BERTH_DOCKERD_TIMEOUT:-60} api=
  until api=$(api_version); do
    if ! alive "$(<"$DIR/launcher.pid")"; then
      tail -n 30 "$DIR/dockerd.log" >&2
      die "dockerd exited during startup (log: $DIR/dockerd.log)"
    fi
    if ((SECONDS - t0 >= timeout)); then
      tail -n 30 "$DIR/dockerd.log" >&2
      stop || true
      die "dockerd did not answer within ${timeout}s (log: $DIR/dockerd.log)"
    fi
    sleep 0.2
  done
  log "daemon up after $(awk -v a="$t0r" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s, API $api"
  ensure_image
  report
}

report() {
  echo "DOCKER_HOST=unix://$DIR/docker.sock"
  echo "BERTH_DOCKER_API=$(api_version)"
}

# --- stop ------------------------------------------------------------------

# PIDs of daemon-side processes (dockerd, containerd, shims) tied to DIR.
daemon_side_pids() {
  local p comm
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    case $comm in
      dockerd | containerd | containerd-shim* | runc | docker-proxy) ;;
      *) continue ;;
    esac
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/" && echo "$p"
  done
  return 0
}

stop() {
  local pid i running=() left=() bridges=()
  if pid=$(daemon_pid); then
    # The daemons share the host's network namespace: the bridges of their networks stay in it
    # after dockerd exits (their routes then use up every other daemon's address pools). Note
    # them now, delete them once the daemon is gone; a restart on DIR recreates them.
    mapfile -t bridges < <(timeout 10 "$DOCKER" -H "unix://$DIR/docker.sock" network ls -q \
      --no-trunc --filter driver=bridge 2>/dev/null | cut -c1-12 | sed 's/^/br-/' || true)
    # Containers would each get their own stop timeout (10 s; a shell or
    # sleep as PID 1 ignores SIGTERM) during daemon shutdown: kill them first.
    mapfile -t running < <(timeout 10 "$DOCKER" -H "unix://$DIR/docker.sock" ps -q 2>/dev/null || true)
    if ((${#running[@]})); then
      timeout 20 "$DOCKER" -H "unix://$DIR/docker.sock" kill "${running[@]}" >/dev/null 2>&1 || true
    fi
    log "stopping dockerd pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      alive "$pid" || break
      sleep 0.2
    done
    if alive "$pid"; then
      log "dockerd did not exit in 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi

  # Leftover containerd / shims started for this daemon.
  mapfile -t left < <(daemon_side_pids)
  if ((${#left[@]})); then
    log "killing leftover daemon processes: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi

  # Leftover container processes, then the (now empty) cgroups themselves.
  local dirs=()
  mapfile -t dirs < <(find /sys/fs/cgroup -maxdepth 2 -type d -name "$(cgroup_name)" 2>/dev/null || true)
  if ((${#dirs[@]})); then
    mapfile -t left < <(find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    if ((${#left[@]})); then
      log "killing leftover container processes: ${left[*]}"
      kill -KILL "${left[@]}" 2>/dev/null || true
      sleep 0.5
    fi
    find "${dirs[@]}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  fi
  for ((i = 0; i < 25; i++)); do
    [[ -z $(daemon_side_pids) ]] && break
    sleep 0.2
  done

  # Anything mounted under DIR in the host namespace (normally nothing: the
  # daemon's mounts live in its own namespace), deepest first.
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done < <(awk -v d="$DIR" '{ gsub(/\\040/, " ", $5) } $5 == d || index($5, d "/") == 1 { print $5 }' \
    /proc/self/mountinfo | sort -r)

  for i in "${bridges[@]}"; do
    ip link delete "$i" 2>/dev/null || true
  done
  rm -f "$DIR/docker.sock" "$DIR/docker.pid" "$DIR/launcher.pid"
  log "stopped ($DIR)"
}

# --- main ------------------------------------------------------------------

[[ $# -ge 2 ]] || usage
cmd=$1
DIR=$(realpath -m -- "$2")
[[ $DIR != / ]] || die "refusing DIR=/"
((${#DIR} <= 60)) || die "DIR too long (${#DIR} chars, max 60): unix socket paths under it would exceed 108 bytes"
DOCKER=$(docker_cli)

case $cmd in
  start) start "${3:-debian}" ;;
  stop) if [[ -d $DIR ]]; then stop; fi ;;
  clean)
    [[ -d $DIR ]] || exit 0
    stop
    rm -rf --one-file-system -- "$DIR" ;;
  *) usage ;;
esac
