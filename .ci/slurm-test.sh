#!/usr/bin/env bash
# A real Slurm test of `motornet sweep --slurm` (issue 17): starts a one-node Slurm cluster on
# this machine (munged, slurmctld, slurmd; ../shared/notes/slurm-single-node.md), submits a
# sweep of four short runs as a job array, waits for it, checks that `motornet collect` lists
# four runs with status done, re-runs one run through `motornet sweep --resume --slurm --submit`,
# and stops the daemons it started. About 30-60 s after the build.
#
# Needs root (munged and slurmd run as root); installs slurm-wlm and munge with apt-get when
# they are missing. The cluster uses its own config, state and log files in a temporary
# directory (SLURM_CONF points there) and its own ports, so it touches no Slurm set up on the
# machine. Usage: bash .ci/slurm-test.sh  (from the repository root or anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "slurm-test: $*"; }
fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (to run munged and slurmd)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || fail "apt-get update"
  apt-get install -y -qq slurm-wlm munge >/dev/null || fail "apt-get install slurm-wlm munge"
fi

cargo build -p motornet --bin motornet --quiet
MOTORNET="$(pwd)/${CARGO_TARGET_DIR:-target}/debug/motornet"
[ -x "$MOTORNET" ] || fail "no $MOTORNET"

W="$(mktemp -d /tmp/motornet-slurm.XXXXXX)"
STARTED=()
cleanup() {
  local rc=$?
  for f in "$W/slurmd.pid" "$W/slurmctld.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  if [ "$rc" != 0 ]; then
    for f in "$W"/slurmctld.log "$W"/slurmd.log "$W"/sweep/slurm-*.out; do
      [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
    done
  fi
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT

# munge: a key, and munged unless one runs already
if ! pgrep -x munged >/dev/null; then
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  munged --force
  sleep 1
  pid="$(cat /run/munge/munged.pid 2>/dev/null || pgrep -xn munged)"
  STARTED+=("$pid")
  say "started munged ($pid)"
fi

# the cluster: this machine, its own ports (two other runs on the machine do not collide)
HOST="$(hostname)"
PORT=$((20000 + $$ % 20000))
MEM=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) / 2 ))
mkdir -p "$W/state" "$W/spool"
export SLURM_CONF="$W/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=motornet-test
SlurmctldHost=$HOST
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$HOST CPUs=$(nproc) RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qx idle && break
  sleep 0.5
done
sinfo -h -o %t | grep -qx idle || fail "the node did not become idle: $(sinfo 2>&1)"
say "cluster up (node $HOST idle, ports $PORT-$((PORT + 1)))"

# waits (at most 300 s) until job $1 has left the queue
wait_job() {
  local start=$SECONDS
  while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
    [ $((SECONDS - start)) -lt 300 ] || fail "job $1 still queued after 300 s: $(squeue)"
    sleep 1
  done
}

# four short runs (3 batches of 4 episodes of 0.2 s, GRU 4)
cat > "$W/grid.toml" <<'EOF'
batch_size = 4
batches = 3
checkpoint_every = 0
[env]
max_ep_duration = 0.2
[network]
kind = "gru"
hidden = 4
layers = 1
[grid]
lr = [0.001, 0.003]
seed = [0, 1]
EOF
start=$SECONDS
JOB="$("$MOTORNET" sweep "$W/grid.toml" --out "$W/sweep" --slurm --submit --time 00:05:00 --cpus-per-task 1)"
[[ "$JOB" =~ ^[0-9]+$ ]] || fail "sweep --submit printed '$JOB', not a job id"
say "submitted job array $JOB"
wait_job "$JOB"
logs=$(ls "$W/sweep"/slurm-"$JOB"_*.out | wc -l)
[ "$logs" = 4 ] || fail "$logs Slurm logs, not 4"

# four rows, each done
check_done() {
  "$MOTORNET" collect "$W/sweep" > "$W/collect.csv"
  cat "$W/collect.csv"
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") s = i; next }
           { n++; if ($s == "done") d++ }
           END { if (!s || n != 4 || d != 4) { print "slurm-test: FAILED: " n " rows, " d " done" > "/dev/stderr"; exit 1 } }' \
    "$W/collect.csv"
}
check_done

# a run that did not finish is re-run alone: resume submits an array of that run only
rm "$W/sweep/runs/0002-lr=0.003-seed=0/status.json"
JOB2="$("$MOTORNET" sweep --resume "$W/sweep" --slurm --submit)"
[[ "$JOB2" =~ ^[0-9]+$ ]] || fail "sweep --resume --submit printed '$JOB2'"
wait_job "$JOB2"
[ -f "$W/sweep/slurm-${JOB2}_2.out" ] || fail "the resumed job ran no task 2"
[ "$(ls "$W/sweep"/slurm-"$JOB2"_*.out | wc -l)" = 1 ] || fail "the resumed job ran more than run 2"
[ -d "$W/sweep/runs/0002-lr=0.003-seed=0/attempt-1/train" ] || fail "the earlier attempt was not kept"
check_done
say "ok: 4 runs done through Slurm (job $JOB), run 2 re-run alone (job $JOB2), $((SECONDS - start)) s"
