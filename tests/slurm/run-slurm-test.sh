#!/bin/bash
# End-to-end test of `waddington sweep slurm` on a real Slurm cluster.
#
# If `sinfo` already answers (a running cluster), its default partition is used. Otherwise the
# script installs Debian's slurm-wlm and munge (needs root and the network: apt-get), starts munged,
# slurmctld and slurmd on loopback with a one-node, 2-CPU slurm.conf in a temporary folder, and
# stops them at the end. It submits a tiny grid (4 points × 20 epochs) as an array job with a
# throttle and an afterok collect job, waits (at most 180 s), and checks DIR/summary.csv.
#
# Usage: WADDINGTON_BIN=target/release/waddington tests/slurm/run-slurm-test.sh
# Exit: 0 passed, 1 failed, 77 Slurm unavailable here (skipped).
set -uo pipefail

BIN=${WADDINGTON_BIN:-$(dirname "$0")/../../target/release/waddington}
BIN=$(realpath "$BIN")
WORK=$(mktemp -d /tmp/waddington-slurm.XXXXXX)
STARTED=0

log() { echo "[slurm-test] $*"; }
skip() { echo "SKIPPED: $*"; exit 77; }

stop_daemons() {
    if [ "$STARTED" = 1 ]; then
        for f in "$WORK/slurmd.pid" "$WORK/slurmctld.pid" "$WORK/munged.pid"; do
            [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
        done
        sleep 1
    fi
    [ "${PASSED:-0}" = 1 ] && rm -rf "$WORK"
}
trap stop_daemons EXIT

start_cluster() {
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        [ "$(id -u)" = 0 ] || skip "slurm-wlm/munge are not installed and this is not root (cannot apt-get install)"
        log "installing slurm-wlm and munge"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) \
            >"$WORK/apt.log" 2>&1 || skip "apt-get install slurm-wlm munge failed (see $WORK/apt.log)"
    fi
    [ "$(id -u)" = 0 ] || skip "starting slurmctld/slurmd needs root"
    STARTED=1
    # munge: a fresh key and socket in the work folder.
    mkdir -p "$WORK/munge"
    dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1 count=1024 status=none
    chmod 700 "$WORK/munge"; chmod 400 "$WORK/munge/munge.key"
    munged --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
        --pid-file="$WORK/munged.pid" --log-file="$WORK/munged.log" --seed-file="$WORK/munge/seed" \
        || { log "munged failed"; cat "$WORK/munged.log"; exit 1; }
    mkdir -p "$WORK/state" "$WORK/spool"
    cat >"$WORK/slurm.conf" <<CONF
ClusterName=waddingtontest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$WORK/slurm.conf"
    slurmctld -f "$SLURM_CONF" || { log "slurmctld failed"; cat "$WORK/slurmctld.log"; exit 1; }
    slurmd -f "$SLURM_CONF" -N localhost || { log "slurmd failed"; cat "$WORK/slurmd.log"; exit 1; }
    for _ in $(seq 60); do
        sinfo -h -o %t 2>/dev/null | grep -q idle && return 0
        sleep 1
    done
    log "the node did not come up"; sinfo; tail -20 "$WORK/slurmctld.log" "$WORK/slurmd.log"; exit 1
}

if command -v sinfo >/dev/null && sinfo -h >/dev/null 2>&1; then
    log "using the running Slurm cluster"
else
    start_cluster
fi

cat >"$WORK/grid.toml" <<'GRID'
[model]
memories = 8
[data]
per_class = 3
[train]
epochs = 20
save_every = 2
checkpoint_every = 5
[sweep]
name = "slurm-test"
grid = { "model.n" = [3, 20], "init.seed" = [1, 2] }
GRID
OUT="$WORK/sweep"
"$BIN" sweep slurm "$WORK/grid.toml" --out "$OUT" --tasks 2 --throttle 1 --cpus-per-task 1 \
    --mem 200M --time 00:05:00 --submit || { log "submission failed"; exit 1; }
deadline=$((SECONDS + 180))
while [ $SECONDS -lt $deadline ]; do
    [ -f "$OUT/summary.csv" ] && [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 2
done
if [ ! -f "$OUT/summary.csv" ]; then
    log "no summary.csv after 180 s"; squeue; ls -R "$OUT"; cat "$OUT"/slurm/*.out 2>/dev/null
    [ "$STARTED" = 1 ] && tail -30 "$WORK/slurmctld.log" "$WORK/slurmd.log"
    exit 1
fi
done_rows=$(grep -c ',done,' "$OUT/summary.csv")
cat "$OUT/summary.csv" | cut -d, -f1-8
# Compare with the same grid run locally.
"$BIN" sweep run "$WORK/grid.toml" --out "$WORK/local" --jobs 2 --no-progress >/dev/null \
    && "$BIN" sweep collect "$WORK/local" >/dev/null || { log "local run failed"; exit 1; }
if [ "$done_rows" = 4 ] && cmp -s "$OUT/summary.csv" "$WORK/local/summary.csv"; then
    log "PASSED: 4 points done through Slurm (array of 2 tasks, throttle 1, afterok collect); table equals a local run"
    PASSED=1
    exit 0
fi
log "FAILED: $done_rows of 4 points done, or the table differs from a local run"; exit 1
