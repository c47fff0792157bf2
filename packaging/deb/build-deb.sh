#!/usr/bin/env bash
# build-deb.sh — assembles berth's .deb. berth-dist's Maven build runs it at `package`
# (mvn -Pdeb package -pl berth-dist -am); it can also be run by hand:
#
#   packaging/deb/build-deb.sh VERSION JAVA_HOME LIB_DIR TOOLS_DIR OUT_DIR
#
#   VERSION    the Maven version; 0.1.0-SNAPSHOT becomes the Debian version 0.1.0~snapshot
#   JAVA_HOME  a Temurin 25 JDK whose jlink links from its run-time image (no jmods needed)
#   LIB_DIR    berth-cli.jar and every jar it runs on (berth-dist copies them there)
#   TOOLS_DIR  picocli-codegen's jar (the man pages' generator; not installed)
#   OUT_DIR    where the stage (OUT_DIR/root) and berth_VERSION_amd64.deb go
#
# Needs dpkg-deb and asciidoctor (Debian packages dpkg and asciidoctor). The runtime image is
# kept in OUT_DIR/runtime and reused while the JDK and the module list stay the same.
set -euo pipefail

(($# == 5)) || { sed -n '2,15p' "$0" >&2; exit 2; }
version=$1
jdk=$(cd "$2" && pwd) libs=$(cd "$3" && pwd) tools=$(cd "$4" && pwd)
mkdir -p "$5" && out=$(cd "$5" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packaging=$(dirname "$here")
log() { printf '[build-deb] %s\n' "$*" >&2; }

# Modules berth needs (jdeps --print-module-deps lists java.desktop, java.sql and java.naming
# too: optional, `requires static` in Jackson and Netty, for types berth never uses).
# jdk.unsupported: sun.misc.Signal (SIGHUP reload) and Netty's Unsafe; jdk.jfr: Netty's JFR
# events; java.security.jgss: Kerberos (GSS-API, SPNEGO) for berth login and its service;
# java.net.http: berth login's HTTPS client. Everything else is in java.base, FFM included.
modules=java.base,jdk.unsupported,jdk.jfr,java.security.jgss,java.net.http

for tool in dpkg-deb asciidoctor gzip; do
  command -v "$tool" >/dev/null || { log "$tool is missing (apt-get install dpkg asciidoctor)"; exit 1; }
done
[[ -x $jdk/bin/jlink ]] || { log "$jdk has no jlink"; exit 1; }

# dpkg-deb clamps every file's time to this; the AOT cache checks the jars' times (below).
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$packaging" log -1 --format=%ct 2>/dev/null || date +%s)}
debversion=$(printf '%s' "$version" | sed 's/-SNAPSHOT$/~snapshot/; s/-/~/g')
root=$out/root
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/lib/berth/lib" "$root/usr/lib/berth/native" \
  "$root/usr/bin" "$root/etc/berth" "$root/usr/lib/systemd/system" "$root/usr/share/berth" \
  "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/doc/berth"

# --- the Java runtime ------------------------------------------------------------------------
key="$(sha256sum "$jdk/release" | cut -c1-16) $modules"
if [[ ! -x $out/runtime/bin/java || $(cat "$out/runtime.key" 2>/dev/null) != "$key" ]]; then
  log "jlink $modules from $jdk"
  rm -rf "$out/runtime" "$out/runtime.key"
  # No --generate-cds-archive: it adds 14 MiB (28 with the archive for large heaps) and saves
  # berth's start no measurable time.
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --output "$out/runtime"
  printf '%s' "$key" >"$out/runtime.key"
fi
cp -a "$out/runtime" "$root/usr/lib/berth/runtime"

# --- berth's jars, launcher, native library ---------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tmp_launcher=$tmp/berth
cp "$libs"/*.jar "$root/usr/lib/berth/lib/"
# picocli's classes are Java 5 class files, which the JVM keeps in no AOT cache and verifies with
# the old verifier at every start; `berth run` loads about 170 of them (docs/benchmarks.md,
# session 6). Rewritten as Java 8 class files, the same bytecode with stack maps.
for jar in "$libs"/picocli-*.jar; do
  "$jdk/bin/java" "$here/Retarget.java" "$jar" "$root/usr/lib/berth/lib/$(basename "$jar")"
done
touch -d "@$epoch" "$root"/usr/lib/berth/lib/*.jar # the time they have once installed
# The launcher names the jars in a fixed order (a directory wildcard would follow readdir order,
# which differs between file systems, and the AOT cache below needs the class path it was made with).
jars=$(cd "$root/usr/lib/berth/lib" && printf '%s\n' *.jar | LC_ALL=C sort)
# `berth run` runs on the CLI and picocli alone (see the launcher).
run_jars=$(printf '%s\n' "$jars" | grep -E '^(berth-cli|picocli)-[0-9]')
(($(printf '%s\n' "$run_jars" | wc -l) == 2)) || { log "berth-cli or picocli jar missing: $run_jars"; exit 1; }
classpath() { printf '%s\n' "${2:-$jars}" | sed "s|^|$1/|" | paste -sd:; }
sed -e "s|@CLASSPATH@|$(classpath /usr/lib/berth/lib)|" \
  -e "s|@RUN_CLASSPATH@|$(classpath /usr/lib/berth/lib "$run_jars")|" "$here/berth" >"$tmp_launcher"
install -m 0755 "$tmp_launcher" "$root/usr/bin/berth"
epoll=$(ls "$libs"/netty-transport-native-epoll-*-linux-x86_64.jar)
(cd "$tmp" && "$jdk/bin/jar" xf "$epoll" META-INF/native/libnetty_transport_native_epoll_x86_64.so)
install -m 0644 "$tmp/META-INF/native/libnetty_transport_native_epoll_x86_64.so" \
  "$root/usr/lib/berth/native/"

# Everything generated below comes from the CLI itself, run on the runtime just made.
berth=("$root/usr/lib/berth/runtime/bin/java" --enable-native-access=ALL-UNNAMED
  -cp "$libs/*:$tools/*")

# --- the default policy: the embedded one, so there is one source -----------------------------
"${berth[@]}" dev.berth.cli.BerthCommand policy show >"$root/etc/berth/policy.yaml"
grep -q '^roles:' "$root/etc/berth/policy.yaml" || { log "berth policy show printed no policy"; exit 1; }

# --- the AOT cache of `berth run` (JEP 483/514) -------------------------------------------------
# One training run of `berth run --print` on the packaged runtime, with the packaged launcher's
# flags for `run` and its class path, jars in the same order: the JVM then starts `berth run` with its
# classes loaded and linked from the cache. Paths may differ (the stage here, /usr/lib/berth
# installed): the JVM checks the jars' sizes and times, which dpkg-deb sets to $epoch. A cache
# that does not match is ignored; the launcher silences that (-Xlog:aot=off). The training writes
# the identity files of `berth run` (~/.cache/berth) of the user building the package, as any
# `berth run` does.
log "AOT cache for berth run"
rm -f "$root/usr/lib/berth/berth-run.aot"
(cd / && "$root/usr/lib/berth/runtime/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
  -Xss512k -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
  -XX:AOTCacheOutput="$root/usr/lib/berth/berth-run.aot" \
  -cp "$(classpath "$root/usr/lib/berth/lib" "$run_jars")" dev.berth.cli.BerthCommand run --print --no-home \
  busybox true) >"$tmp/aot.log" 2>&1 || { cat "$tmp/aot.log" >&2; log "the AOT training run failed"; exit 1; }
[[ -s $root/usr/lib/berth/berth-run.aot ]] || { cat "$tmp/aot.log" >&2; log "no AOT cache made"; exit 1; }
chmod 0644 "$root/usr/lib/berth/berth-run.aot"

# --- man pages (picocli ManPageGenerator -> AsciiDoc -> troff) and bash completion ------------
"${berth[@]}" picocli.codegen.docgen.manpage.ManPageGenerator -d "$tmp/adoc" dev.berth.cli.BerthCommand
asciidoctor -b manpage -D "$tmp/man" "$tmp"/adoc/*.adoc
for page in "$tmp"/man/*.1; do
  # shellcheck disable=SC2094  # reads $page, writes a .gz beside the other man pages
  gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
"${berth[@]}" picocli.AutoComplete -n berth -o "$root/usr/share/bash-completion/completions/berth" \
  dev.berth.cli.BerthCommand
# AutoComplete writes a script that is sourced, not run.
chmod 0644 "$root/usr/share/bash-completion/completions/berth"

# --- systemd units, plugin spec, docs ---------------------------------------------------------
install -m 0644 "$packaging"/systemd/berth.service "$packaging"/systemd/berth.socket \
  "$packaging"/systemd/berth-plugin.service "$root/usr/lib/systemd/system/"
# Plugin mode is opt-in: dockerd reads /etc/docker/plugins, so the spec file waits here.
install -m 0644 "$packaging/docker/berth.spec" "$root/usr/share/berth/berth.spec"
# Slurm sites opt in too: Epilog=/usr/share/berth/slurm-epilog (docs/scheduler.md)
install -m 0755 "$packaging/slurm/berth-epilog" "$root/usr/share/berth/slurm-epilog"
install -m 0644 "$here/copyright" "$root/usr/share/doc/berth/copyright"

# --- control files ----------------------------------------------------------------------------
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
echo /etc/berth/policy.yaml >"$root/DEBIAN/conffiles"
# md5sums lets `dpkg --verify berth` find changed files (conffiles are tracked by dpkg itself).
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: berth
Version: $debversion
Architecture: amd64
Maintainer: berth maintainers <maintainers@users.noreply.h-seed-ae304fa1.example>
Installed-Size: $size
Depends: libc6 (>= 2.17)
Recommends: docker.io | docker-ce | moby-engine
Section: admin
Priority: optional
Description: multi-user gateway in front of the Docker daemon
 berth lets the non-root users of a shared Linux host use Docker without handing
 them root. It listens on its own socket (/run/berth/docker.sock), learns from the
 kernel who is calling, and relays to the real daemon only what its policy allows,
 after rewriting container creation so that containers run as the caller.
 .
 The package bundles its own Java runtime: the host needs no JDK. berth.socket is
 enabled and started when systemd runs; the default policy is /etc/berth/policy.yaml.
EOF

find "$root" -type d -exec chmod 0755 {} +
chmod -R go-w "$root"
chmod 0644 "$root/etc/berth/policy.yaml" "$root/DEBIAN/conffiles" "$root/DEBIAN/control" \
  "$root/DEBIAN/md5sums"

deb=$out/berth_${debversion}_amd64.deb
# gzip, not xz: 25% larger, but xz takes minutes on a busy 2-core machine.
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
log "built $deb ($(du -h "$deb" | cut -f1), installed $((size / 1024)) MiB)"
