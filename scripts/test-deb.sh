#!/usr/bin/env bash
# shellcheck disable=SC2016  # the sh -c scripts in single quotes expand in the child shell
# test-deb.sh — the Debian package end to end, as a site installs it. Run as root; scripts/test
# calls it. On a machine without a running systemd (CI, containers):
#   1. builds the .deb with Maven (mvn -Pdeb package -pl berth-dist -am),
#   2. installs it with `apt-get install ./berth_*.deb` and checks what it installed: the
#      launcher on the bundled runtime, man pages, bash completion, the conffile policy (the
#      embedded one), directories, units (systemd-analyze verify), nothing enabled or started,
#   3. runs the installed /usr/bin/berth in front of a private daemon and drives it with the
#      real docker CLI as alice (containers run as alice; --privileged is refused),
#   4. runs it again socket-activated (systemd-socket-activate: the first connection starts
#      berth on the passed fd) with a notification socket and a journal stream: READY=1,
#      STOPPING=1, <N>-prefixed log lines, and the socket survives berth,
#   5. purges the package, whatever happened, and checks that it left nothing behind and that
#      the source checkout's ./berth still runs.
# DOCKER_HOST: a daemon to use (scripts/test passes its private one; it needs berth-test:latest);
# without it a private daemon is started in /tmp/berth-deb-dockerd and stopped afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
# docker.io first: it satisfies the package's Recommends, so installing the .deb installs (and
# starts) no daemon.
ensure_packages mvn:maven dpkg-deb:dpkg asciidoctor:asciidoctor man:man-db \
  systemd-analyze:systemd systemd-socket-activate:systemd python3:python3 curl:curl \
  setpriv:util-linux dockerd:docker.io
"$BERTH_SCRIPTS_DIR/test-users.sh" >/dev/null

top=$(cd "$BERTH_SCRIPTS_DIR/.." && pwd)
work=$(mktemp -d /tmp/berth-deb.XXXXXX)
chmod 0755 "$work" # alice reaches the sockets in here
docker=$(docker_cli)
own_daemon=
berth_pid=
failures=0
passes=0

step() { log "--- $*"; }
check() { # check DESCRIPTION COMMAND...: runs COMMAND, counts a failure
  local what=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then
    log "ok: $what"
    passes=$((passes + 1))
  else
    log "FAILED: $what"
    sed 's/^/    /' "$work/check.out" >&2
    failures=$((failures + 1))
  fi
}

cleanup() {
  local rc=$?
  [[ -n $berth_pid ]] && kill -TERM "$berth_pid" 2>/dev/null && wait "$berth_pid" 2>/dev/null
  if dpkg-query -W -f='${Status}' berth 2>/dev/null | grep -q 'ok installed\|config-files'; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq berth >&2 || true
  fi
  if [[ -n $own_daemon ]]; then
    "$BERTH_SCRIPTS_DIR/dockerd-private.sh" stop "$own_daemon" >&2 || true
  fi
  # Purge deleted /var/lib/berth (and an empty /var/log/berth): put back what was there before.
  local d
  for d in lib log; do
    if [[ -d $work/saved-$d && ! -e /var/$d/berth ]]; then
      cp -a "$work/saved-$d" "/var/$d/berth"
    fi
  done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' berth 2>/dev/null | grep -q 'installed\|config-files'; then
  log "berth is installed already (an earlier run that was killed?); purging it first"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq berth >&2
fi

for d in lib log; do
  if [[ -d /var/$d/berth ]]; then cp -a "/var/$d/berth" "$work/saved-$d"; fi
done

# --- 1. build ----------------------------------------------------------------------------------
step "building the .deb"
t0=$SECONDS
(cd "$top" && JAVA_HOME=$(find_jdk) mvn -B -q -Pdeb package -DskipTests -pl berth-dist -am) >&2
deb=$(ls "$top"/berth-dist/target/berth_*_amd64.deb)
build_s=$((SECONDS - t0))
log "built $(basename "$deb"): $(du -h "$deb" | cut -f1) in ${build_s}s"

# --- 2. install and inspect --------------------------------------------------------------------
step "apt-get install ./$(basename "$deb")"
test_t0=$SECONDS
cp "$deb" "$work/" # apt reads local packages as _apt when it can
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")") >&2
log "installed in $((SECONDS - test_t0))s"

check "berth on PATH is /usr/bin/berth" test "$(command -v berth)" = /usr/bin/berth
check "berth --version" sh -c 'berth --version | grep -qx "berth [0-9.]*"'
check "the bundled runtime has only berth's modules" sh -c \
  '/usr/lib/berth/runtime/bin/java --list-modules | sed "s/@.*//" | sort | tr "\n" " " |
   grep -qx "java.base java.logging java.naming java.net.http java.security.jgss java.security.sasl jdk.jfr jdk.unsupported "'
check "the launcher runs the bundled runtime" grep -qx 'java=/usr/lib/berth/runtime/bin/java' \
  /usr/bin/berth
# The cache holds berth's own classes; the JDK's default archive does not: a class of berth run
# "source: shared objects file" means the JVM took the package's AOT cache.
check "berth run starts from the package's AOT cache" sh -c \
  'cd / && JAVA_TOOL_OPTIONS="-Xlog:class+load:file=/tmp/berth-deb-aot.log" \
     berth run --print --no-home busybox true >/dev/null 2>&1 &&
   grep -q "dev.berth.cli.RunCommand source: shared objects file" /tmp/berth-deb-aot.log;
   rc=$?; rm -f /tmp/berth-deb-aot.log; exit $rc'
# As a user (groups other than 0, so the group names are looked up) every class too: the cache is
# trained as root, and a class it lacks is looked for in the jars at each start
# (docs/benchmarks.md, session 6); picocli's classes are there only as the package rewrote them.
check "berth run as alice loads no class from a jar" sh -c \
  'home=$(getent passwd alice | cut -d: -f6); log=$home/.berth-deb-aot.log;
   cd "$home" && setpriv --reuid alice --regid alice --init-groups env HOME="$home" \
     JAVA_TOOL_OPTIONS="-Xlog:class+load:file=$log" berth run --print busybox true >/dev/null 2>&1 &&
   grep -q "picocli.CommandLine source: shared objects file" "$log" && ! grep -q "source: file:" "$log";
   rc=$?; rm -f "$log"; exit $rc'
check "man berth" sh -c 'man -w berth | grep -qx /usr/share/man/man1/berth.1.gz &&
  man -l /usr/share/man/man1/berth.1.gz | grep -q "^BERTH(1)"'
check "man berth-serve" sh -c 'man -l /usr/share/man/man1/berth-serve.1.gz | grep -q -- --policy'
check "bash completion" bash -c 'source /usr/share/bash-completion/completions/berth &&
  complete -p berth | grep -q _complete_berth'
check "/etc/berth/policy.yaml is the embedded policy" sh -c \
  'berth policy show | cmp - /etc/berth/policy.yaml'
check "/etc/berth/policy.yaml is valid" berth policy check /etc/berth/policy.yaml
check "/etc/berth/policy.yaml is a conffile" sh -c \
  "dpkg-query -W -f='\${Conffiles}' berth | grep -q ' /etc/berth/policy.yaml '"
check "plugin spec shipped, not installed" sh -c \
  'test -f /usr/share/berth/berth.spec && test ! -e /etc/docker/plugins/berth.spec'
check "Slurm epilog shipped" test -x /usr/share/berth/slurm-epilog
check "/var/log/berth and /var/lib/berth are 0700" sh -c \
  'test "$(stat -c %a /var/log/berth) $(stat -c %a /var/lib/berth)" = "700 700"'
check "copyright" test -s /usr/share/doc/berth/copyright
check "dpkg --verify berth finds every file as packaged" sh -c \
  'test -z "$(dpkg --verify berth)" && test -s /var/lib/dpkg/info/berth.md5sums'
check "systemd-analyze verify" systemd-analyze verify /usr/lib/systemd/system/berth.service \
  /usr/lib/systemd/system/berth.socket /usr/lib/systemd/system/berth-plugin.service
check "nothing enabled without a running systemd" sh -c \
  '! ls /etc/systemd/system/*.wants/berth* 2>/dev/null | grep -q .'
check "nothing started" sh -c '! pgrep -f "^/usr/lib/berth/runtime/bin/java" >/dev/null'

# --- 3. serve with the installed berth ---------------------------------------------------------
if [[ -z ${DOCKER_HOST:-} ]]; then
  own_daemon=/tmp/berth-deb-dockerd
  eval "$("$BERTH_SCRIPTS_DIR/dockerd-private.sh" start "$own_daemon" current | grep ^DOCKER_HOST=)"
fi
alice_uid=$(id -u alice)
as_alice() { # as_alice SOCKET docker-args...: the real CLI as alice, as a login would run it
  local sock=$1
  shift
  setpriv --reuid alice --regid alice --init-groups env -i HOME="$(getent passwd alice | cut -d: -f6)" \
    PATH=/usr/local/bin:/usr/bin:/bin DOCKER_HOST="unix://$sock" "$docker" "$@"
}
runs_as_alice() { # runs_as_alice SOCKET: a container started through SOCKET runs as alice
  test "$(as_alice "$1" run --rm berth-test:latest id -u)" = "$alice_uid"
}
privileged_refused() {
  local out
  if out=$(as_alice "$1" run --rm --privileged berth-test:latest true 2>&1); then
    echo "it ran: $out"
    return 1
  fi
  grep 'Error response from daemon: berth: HostConfig.Privileged' <<<"$out"
}
wait_for_socket() {
  local i
  for ((i = 0; i < 150; i++)); do
    [[ -S $1 ]] && return 0
    sleep 0.2
  done
  return 1
}

step "berth serve (installed) in front of $DOCKER_HOST"
sock=$work/berth.sock
/usr/bin/berth serve --listen "unix://$sock" --upstream "$DOCKER_HOST" \
  --policy /etc/berth/policy.yaml --audit-log "$work/audit.jsonl" --state-dir "$work/state" \
  >"$work/serve.out" 2>"$work/serve.err" &
berth_pid=$!
check "berth serve comes up" wait_for_socket "$sock"
check "it runs on the bundled runtime" test "$(readlink "/proc/$berth_pid/exe")" \
  = /usr/lib/berth/runtime/bin/java
check "Netty's epoll library comes from /usr/lib/berth/native" \
  grep -q /usr/lib/berth/native/libnetty_transport_native_epoll_x86_64.so "/proc/$berth_pid/maps"
check "docker run as alice runs as alice" runs_as_alice "$sock"
check "docker run --privileged is refused" privileged_refused "$sock"
check "the audit trail verifies" berth audit verify "$work/audit.jsonl"
kill -TERM "$berth_pid"
wait "$berth_pid" || true
berth_pid=
check "berth removed its socket on SIGTERM" test ! -e "$sock"

# --- 4. socket activation, readiness, journal ----------------------------------------------------
step "socket-activated, with NOTIFY_SOCKET and JOURNAL_STREAM"
asock=$work/activated.sock
python3 - "$work/notify" >"$work/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", " "), flush=True)
    if "STOPPING=1" in m:
        break
EOF
notify_pid=$!
wait_for_socket "$work/notify"
: >"$work/journal.err"
# systemd-socket-activate binds the socket, waits for the first connection, then execs berth
# with LISTEN_FDS=1 and the socket on fd 3.
# shellcheck disable=SC2094  # stat names journal.err (the journal stream), it does not read it
(exec env NOTIFY_SOCKET="$work/notify" \
  JOURNAL_STREAM="$(stat -c '%d:%i' "$work/journal.err")" \
  systemd-socket-activate -l "$asock" -E NOTIFY_SOCKET -E JOURNAL_STREAM \
  /usr/bin/berth serve --upstream "$DOCKER_HOST" --policy /etc/berth/policy.yaml \
  --audit-log "$work/audit2.jsonl" --state-dir "$work/state") \
  >"$work/activated.out" 2>>"$work/journal.err" &
berth_pid=$!
wait_for_socket "$asock"
chmod 0666 "$asock" # what berth.socket's SocketMode=0666 does
check "the first connection starts berth, which serves alice on the passed socket" \
  runs_as_alice "$asock"
check "berth told the service manager READY=1" grep -q 'READY=1' "$work/notify.log"
check "log lines carry journald priorities and key=value fields" \
  grep -q '^<6>berth is serving .*fd=inherited' "$work/journal.err"
check "no log line lacks a priority" sh -c "! grep -v '^<[0-7]>' '$work/journal.err' |
  grep -v '^Listening on\|^Communication attempt\|^Execing' | grep ."
kill -TERM "$berth_pid"
wait "$berth_pid" || true
berth_pid=
wait "$notify_pid" || true
check "STOPPING=1 on shutdown" grep -q 'STOPPING=1' "$work/notify.log"
check "the passed socket outlives berth (systemd owns it)" test -S "$asock"

# --- 5. purge ------------------------------------------------------------------------------------
step "apt-get purge berth"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq berth >&2
check "purge removed berth" sh -c '! command -v berth && test ! -e /usr/lib/berth &&
  test ! -e /etc/berth && test ! -e /var/lib/berth && test ! -e /var/log/berth &&
  test ! -e /usr/share/man/man1/berth.1.gz && test ! -e /usr/lib/systemd/system/berth.service &&
  ! dpkg-query -W -f="\${Status}" berth 2>/dev/null | grep -q installed'
if [[ -f $top/berth-cli/target/berth-cli.jar ]]; then
  check "the source checkout's ./berth still runs" "$top/berth" --version
fi

log "deb: build ${build_s}s; install, checks and purge $((SECONDS - test_t0))s"
echo "test-deb: $passes passed, $failures failed"
((failures == 0))
