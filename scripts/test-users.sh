#!/usr/bin/env bash
# test-users.sh — idempotently create the real Unix users berth's integration
# tests use: alice and bob (each with a home and a private primary group of
# the same name) and the shared group berthlab that both belong to.
# Homes are 0750: the other test user cannot read them, while root (and so a
# root docker daemon bind-mounting them) can. Prints one line per user:
#   alice uid=1001 gid=1001 berthlab=1003 home=/home/alice
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
ensure_packages useradd:passwd

GROUP=berthlab
getent group "$GROUP" >/dev/null || groupadd "$GROUP"

for user in alice bob; do
  if ! id "$user" >/dev/null 2>&1; then
    useradd --create-home --user-group --shell /bin/bash --groups "$GROUP" "$user"
  elif ! id -nG "$user" | tr ' ' '\n' | grep -qx "$GROUP"; then
    usermod -a -G "$GROUP" "$user"
  fi
  home=$(getent passwd "$user" | cut -d: -f6)
  mkdir -p "$home"
  chown "$user:$user" "$home"
  chmod 0750 "$home"
  echo "$user uid=$(id -u "$user") gid=$(id -g "$user") $GROUP=$(getent group "$GROUP" | cut -d: -f3) home=$home"
done
