#!/usr/bin/env bash
# slurm-private.sh — run a PRIVATE one-node Slurm cluster (Debian's slurmctld and slurmd) for
# the scheduler-placement tests, never the system's: its own slurm.conf and cgroup.conf in DIR,
# free ports on 127.0.0.1, state, spool, pid and log files in DIR, auth/none (no munged; the
# test cluster trusts its own host only and listens on the loopback).
#
#   scripts/slurm-private.sh start DIR    start it; prints SLURM_CONF=DIR/slurm.conf
#       (Epilog=DIR/epilog: a no-op unless the caller writes one)
#   scripts/slurm-private.sh stop DIR     stop it (by the pids it wrote); safe to repeat
#
# Jobs are tracked with proctrack/cgroup and task/cgroup on the host's cgroup hierarchy (v1 or
# v2), so every job gets the cgroup a site's jobs get: v1 .../slurm/uid_<uid>/job_<id>/step_<n>,
# v2 .../system.slice/slurmstepd.scope/job_<id>/step_<n>.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

start() {
  require_root
  ensure_packages slurmctld:slurmctld slurmd:slurmd srun:slurm-client python3:python3
  mkdir -p "$DIR"/{state,spool}
  chmod 755 "$DIR"
  local node cgplugin ctl_port d_port
  # unique per DIR: Slurm names its cgroup root after the node (/slurm_NODE) and numbers jobs
  # from 1, so two clusters must not share a node name
  node=b$(printf '%s' "$DIR" | sha256sum | cut -c1-8)
  ctl_port=$(free_port)
  d_port=$(free_port)
  if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then cgplugin=cgroup/v2; else cgplugin=cgroup/v1; fi
  cat >"$DIR/slurm.conf" <<EOF
ClusterName=berthtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
KillWait=5
Epilog=$DIR/epilog
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$(hostname) CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=60 State=UP
EOF
  cat >"$DIR/cgroup.conf" <<EOF
CgroupPlugin=$cgplugin
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
  # the tests replace it (berth's epilog, packaging/slurm/berth-epilog, with their socket)
  [[ -e $DIR/epilog ]] || printf '#!/bin/sh\nexit 0\n' >"$DIR/epilog"
  chmod 755 "$DIR/epilog"
  export SLURM_CONF=$DIR/slurm.conf
  slurmctld -c -f "$DIR/slurm.conf" >"$DIR/slurmctld.out" 2>&1
  slurmd -c -N "$node" -f "$DIR/slurm.conf" >"$DIR/slurmd.out" 2>&1
  local i
  for ((i = 0; i < 60; i++)); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
      printf 'SLURM_CONF=%s\n' "$DIR/slurm.conf"
      return
    fi
    sleep 0.5
  done
  tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
  stop
  die "slurm did not become ready"
}

stop() {
  local f pid i
  for f in slurmd slurmctld; do
    [[ -s $DIR/$f.pid ]] || continue
    pid=$(<"$DIR/$f.pid")
    if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR/slurm.conf"; then
      kill "$pid" || true
      for ((i = 0; i < 40; i++)); do
        alive "$pid" || break
        sleep 0.25
      done
      if alive "$pid"; then kill -9 "$pid" || true; fi
    fi
    rm -f "$DIR/$f.pid"
  done
}

(($# == 2)) || usage
DIR=$2
[[ $DIR == /* ]] || die "DIR must be absolute"
case $1 in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
