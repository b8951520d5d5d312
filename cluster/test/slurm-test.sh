#!/bin/bash
# The Slurm test: a real single-node Slurm on this machine runs cluster/slurm/*.sbatch, and the
# results must equal a local `ttcg run` of the same spec bit for bit.
#
#   TTCG_BIN=/path/to/ttcg TTCG_PYTHON=.venv/bin/python bash cluster/test/slurm-test.sh
#
# Needs root: it installs slurm-wlm and munge with apt-get if they are missing, and starts
# munged, slurmctld and slurmd (as root, from a slurm.conf it writes to a temporary directory;
# nothing in /etc is touched). Without root it says so and fails: it never passes silently.
#
# The checks (each prints PASS or FAIL; the last line is `slurm-test: N passed, M failed`):
#   1. sweep       ttcg-sweep.sbatch, 1 coordinator + 2 worker tasks; `ttcg status` (the command
#                  the job prints) answers while it runs; exit 0; results == local run. The job
#                  prints its dashboard's URL (with its token) and the `ssh -L` command, and
#                  /api/status answers there with the token (refused without it).
#   2. kill-worker scancel --signal=KILL on one worker's job step mid-sweep; the job still
#                  completes with exit 0 and identical results.
#   3. resume      scancel the whole job mid-sweep (the coordinator keeps its journal);
#                  resubmitting the same command resumes and completes with identical results;
#                  a third submission finds the results done and exits 0 at once.
#   4. array       ttcg-array.sbatch over a list of two specs: one results file each, both
#                  equal to their local runs; with TTCG_HTTP=0, no dashboard.
#
# Slurm in a container: cgroups are often not delegated, so the config avoids them
# (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, JobAcctGatherType=jobacct_gather/none)
# and needs neither slurmdbd (job state and exit codes come from scontrol) nor PMI (MpiDefault=none).
# The node declares at least 6 CPUs (SlurmdParameters=config_overrides) so that two 3-task jobs
# fit at once even on a 2-core machine; the workers then share the real cores.
#
# Environment: TTCG_BIN (required: the local reference runs), TTCG_SLURM_BIN (the binary the
# jobs run, as TTCG=...; default TTCG_BIN; `make test` gives it the unpacked `make dist`, as
# cluster/README.md's Deploy section says), TTCG_PYTHON (default .venv/bin/python, needs h5py),
# TTCG_DIST_TARBALL (the make dist tarball: check 5 stages it with sbcast as cluster/README.md says),
# SLURM_TEST_KEEP=1 keeps the temporary directory (logs, results) for a look afterwards.

# Run by sh? This is a bash script: start again under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -u

# Run inside another Slurm job (a CI runner on a cluster)? Forget that job: the test's jobs
# must see only the test's own Slurm. (The test's own settings, SLURM_TEST_*, stay.)
for v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\|SBATCH_[A-Za-z0-9_]*\|SRUN_[A-Za-z0-9_]*\|SALLOC_[A-Za-z0-9_]*\)=.*/\1/p' | grep -v '^SLURM_TEST_'); do
    unset "$v"
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SWEEP_SBATCH=$ROOT/cluster/slurm/ttcg-sweep.sbatch
ARRAY_SBATCH=$ROOT/cluster/slurm/ttcg-array.sbatch
E2E_SPEC=$ROOT/Tests/TTCGCommandsTests/Fixtures/e2e.yaml
JOB_TIMEOUT=${SLURM_TEST_JOB_TIMEOUT:-240}

PASSED=0
FAILED=0
CLOSED=0
say() { printf 'slurm-test: %s\n' "$*"; }
closing() { CLOSED=1; printf 'slurm-test: %d passed, %d failed\n' "$PASSED" "$FAILED"; }
# Whatever ends the script, it ends with the closing line, and never with exit 0 by accident.
early_exit() {
    local rc=$?
    if [ "$CLOSED" = 0 ]; then
        printf 'slurm-test: FAILED: stopped early (exit code %s)\n' "$rc" >&2
        FAILED=$((FAILED + 1)); closing; [ "$rc" -ne 0 ] || rc=1
    fi
    exit "$rc"
}
trap early_exit EXIT
# A problem before the checks could run: say why, count it as a failure, stop.
setup_failed() {
    printf 'slurm-test: FAILED: %s\n' "$*" >&2
    FAILED=$((FAILED + 1))
    closing
    exit 1
}

# ---- prerequisites ----------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    setup_failed "needs root to install Slurm and to run slurmctld and slurmd (it runs them as root from a temporary config); rerun as root, e.g. sudo TTCG_BIN=\$TTCG_BIN bash $0"
fi
[ -n "${TTCG_BIN:-}" ] && [ -x "$TTCG_BIN" ] ||
    setup_failed "set TTCG_BIN to the ttcg binary (e.g. TTCG_BIN=\$(swift build -c release --show-bin-path)/ttcg)"
TTCG_BIN=$(cd "$(dirname "$TTCG_BIN")" && pwd)/$(basename "$TTCG_BIN")
SLURM_BIN=${TTCG_SLURM_BIN:-$TTCG_BIN}
[ -x "$SLURM_BIN" ] || setup_failed "TTCG_SLURM_BIN=$SLURM_BIN: expected an executable ttcg"
echo "slurm-test: the jobs run $SLURM_BIN ($("$SLURM_BIN" --version 2>&1))"
PY=${TTCG_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] && "$PY" -c 'import h5py, numpy' 2>/dev/null ||
    setup_failed "no Python with h5py at $PY: run \`make venv\` or set TTCG_PYTHON"

missing=
for c in munged munge slurmctld slurmd sbatch srun squeue scontrol scancel sinfo; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ]; then
    say "installing slurm-wlm and munge (missing:$missing)"
    command -v apt-get >/dev/null 2>&1 || setup_failed "no apt-get here: install Slurm (slurmctld, slurmd, client commands) and munge yourself"
    t0=$SECONDS
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge; } \
        >/tmp/slurm-test-apt.log 2>&1 || { tail -20 /tmp/slurm-test-apt.log >&2; setup_failed "apt-get install slurm-wlm munge failed (log above)"; }
    rm -f /tmp/slurm-test-apt.log
    for c in $missing; do command -v "$c" >/dev/null 2>&1 || setup_failed "installed slurm-wlm and munge, but $c is still missing"; done
    say "installed in $((SECONDS - t0))s"
fi

# ---- a private Slurm --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttcg-slurm-test.XXXXXX") || setup_failed "mktemp failed"
chmod 755 "$WORK"  # munged wants every directory above its socket searchable by all
MUNGE_PID='' CTLD_PID='' SLURMD_PID=''

stop_pid() { # stop_pid PID NAME: TERM, up to 15 s, then KILL
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$2 (pid $pid) ignored SIGTERM: killing it"; kill -KILL "$pid" 2>/dev/null; fi
    wait "$pid" 2>/dev/null
}

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    if [ "$CLOSED" = 0 ]; then
        printf 'slurm-test: FAILED: stopped early (exit code %s)\n' "$rc" >&2
        FAILED=$((FAILED + 1)); closing; [ "$rc" -ne 0 ] || rc=1
    fi
    if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
        # End every job of this test's Slurm first, so that no step outlives slurmd.
        ids=$(squeue --noheader --format=%A 2>/dev/null)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null
            for ((i = 0; i < 60; i++)); do [ -z "$(squeue --noheader 2>/dev/null)" ] && break; sleep 1; done
        fi
    fi
    stop_pid "$SLURMD_PID" slurmd
    stop_pid "$CTLD_PID" slurmctld
    stop_pid "$MUNGE_PID" munged
    if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() { # on a setup failure: the daemons' last words
    local f
    for f in "$WORK"/log/*; do [ -s "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

HOST=$(hostname -s)
mkdir -p "$WORK/etc" "$WORK/state" "$WORK/spool" "$WORK/log" "$WORK/munge-key" "$WORK/munge-run" "$WORK/keys" "$WORK/tmp"
chmod 700 "$WORK/munge-key"
chmod 755 "$WORK/munge-run"
CPUS=$(nproc 2>/dev/null || echo 1)
[ "$CPUS" -ge 6 ] || CPUS=6
MEM=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
[ -n "$MEM" ] || MEM=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
CTLD_PORT=$(free_port)
SLURMD_PORT=$(free_port)
while [ "$SLURMD_PORT" = "$CTLD_PORT" ]; do SLURMD_PORT=$(free_port); done
export SLURM_CONF=$WORK/etc/slurm.conf
MUNGE_SOCKET=$WORK/munge-run/munge.socket

cat >"$SLURM_CONF" <<EOF
# A single-node Slurm for cluster/test/slurm-test.sh, on $HOST.
ClusterName=ttcgtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
# Everything runs as root, from this directory: nothing in /etc or /var is used.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# Containers often lack cgroup (v2) delegation: track processes by parent pid, bind nothing,
# gather no accounting; no slurmdbd, no PMI.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# The node below may claim more CPUs than the machine has (so 3-task jobs fit on 2 cores):
# config_overrides makes slurmd take the configured values instead of draining the node.
SlurmdParameters=config_overrides
ReturnToService=2
# Keep finished jobs in scontrol for 10 minutes: their state and exit code are read there.
MinJobAge=600
KillWait=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

t_setup=$SECONDS
if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile="$WORK/munge-key/munge.key" >/dev/null 2>&1
fi
[ -s "$WORK/munge-key/munge.key" ] ||
    dd if=/dev/urandom of="$WORK/munge-key/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$WORK/munge-key/munge.key"
munged --foreground --socket="$MUNGE_SOCKET" --key-file="$WORK/munge-key/munge.key" \
    --log-file="$WORK/log/munged.log" --pid-file="$WORK/munge-run/munged.pid" \
    --seed-file="$WORK/munge-key/munged.seed" >"$WORK/log/munged.stdout" 2>&1 &
MUNGE_PID=$!
for ((i = 0; i < 100; i++)); do
    munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1 && break
    kill -0 "$MUNGE_PID" 2>/dev/null || break
    sleep 0.1
done
munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1 ||
    { show_logs; setup_failed "munged did not start (log above)"; }

slurmctld -D -f "$SLURM_CONF" >"$WORK/log/slurmctld.stdout" 2>&1 &
CTLD_PID=$!
slurmd -D -f "$SLURM_CONF" -N "$HOST" >"$WORK/log/slurmd.stdout" 2>&1 &
SLURMD_PID=$!
state=
for ((i = 0; i < 120; i++)); do
    kill -0 "$CTLD_PID" 2>/dev/null || { show_logs; setup_failed "slurmctld exited (log above)"; }
    kill -0 "$SLURMD_PID" 2>/dev/null || { show_logs; setup_failed "slurmd exited (log above)"; }
    state=$(sinfo --noheader --nodes="$HOST" --format=%T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    scontrol show node "$HOST" >&2 2>/dev/null
    show_logs
    setup_failed "the node $HOST is not idle after 60 s (state: ${state:-no answer from slurmctld}; details above)"
fi
say "Slurm $(sinfo --version | awk '{ print $2 }') is up on $HOST ($CPUS CPUs, ${MEM} MB) in $((SECONDS - t_setup))s; work dir $WORK"

# ---- helpers ------------------------------------------------------------------------------------
pass() { PASSED=$((PASSED + 1)); say "PASS $1 ($((SECONDS - T0))s)"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $1: $2"; }

# job_field JOB FIELD: a field of `scontrol show job` (the first array task's, for an array).
job_field() {
    scontrol show job --oneliner "$1" 2>/dev/null | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
job_done() { # true once the job (every task of an array) has left the queue
    [ -z "$(squeue --noheader --jobs="$1" 2>/dev/null)" ] &&
        ! scontrol show job --oneliner "$1" 2>/dev/null | grep -qE 'JobState=(PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUED)'
}
# wait_job JOB [POLL_FUNCTION]: wait for the job to end, calling POLL_FUNCTION every 0.3 s.
wait_job() {
    local job=$1 poll=${2:-} start=$SECONDS
    while ! job_done "$job"; do
        if [ $((SECONDS - start)) -ge "$JOB_TIMEOUT" ]; then
            say "job $job still not done after ${JOB_TIMEOUT}s; cancelling it"
            scancel "$job"
            return 1
        fi
        [ -n "$poll" ] && "$poll" "$job"
        sleep 0.3
    done
}
job_ok() { # the job completed with exit code 0:0
    [ "$(job_field "$1" JobState)" = COMPLETED ] && [ "$(job_field "$1" ExitCode)" = 0:0 ]
}
job_summary() { echo "state $(job_field "$1" JobState), exit code $(job_field "$1" ExitCode)"; }
show_job_log() { [ -f "$1" ] && { echo "--- $1" >&2; tail -40 "$1" >&2; }; }

# submit DIR SBATCH_FILE ARGS...: submit from DIR with the test's settings; prints the job id.
# 1 coordinator + 2 worker tasks, 1 CPU each, on the one node.
submit() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && env TTCG="$SLURM_BIN" TTCG_KEYS_DIR="$WORK/keys" TMPDIR="$WORK/tmp" \
        ${TTCG_COORDINATOR_ARGS:+TTCG_COORDINATOR_ARGS="$TTCG_COORDINATOR_ARGS"} ${TTCG_HTTP:+TTCG_HTTP="$TTCG_HTTP"} \
        sbatch --parsable --nodes=1 --ntasks=3 --cpus-per-task=1 --time=15 "$@") | cut -d';' -f1
}

# The `ttcg status` command the job printed, run once with --json. Prints one JSON line.
status_json() {
    local log=$1 cmd
    cmd=$(grep -m1 -E '^  .* status --connect ' "$log" 2>/dev/null) || return 1
    cmd=${cmd% --watch}
    eval "$cmd --json --timeout 2" 2>/dev/null | head -1
}
# json FIELD...: fields of a status JSON object on stdin, space separated (workers: their count)
json() {
    "$PY" -c '
import json, sys
d = json.loads(sys.stdin.readline())
print(" ".join(str(len(d[k]) if k == "workers" else d[k]).lower() for k in sys.argv[1:]))' "$@" 2>/dev/null
}

# The dashboard URL the job printed (http://HOST:PORT/?token=TOKEN).
dashboard_url() { grep -m1 -E '^  http://[^ ]+/\?token=[0-9a-f]+$' "$1" 2>/dev/null | sed 's/^  //'; }
# http_status URL: the HTTP status code of a GET (000 if no answer in 2 s), then, for a JSON
# object, its points_total.
http_status() {
    "$PY" -c '
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        body = r.read()
        try: print(r.status, json.loads(body).get("points_total"))
        except Exception: print(r.status)
except urllib.error.HTTPError as e: print(e.code)
except Exception: print("000")' "$1" 2>/dev/null
}

compare() { # compare EXPECTED ACTUAL
    "$PY" "$HERE/compare-results.py" "$1" "$2"
}

# ---- the specs and their local reference results ------------------------------------------------
# A slower spec than e2e.yaml (every equilibrium of 7 providers x 6 levels; about 3,600 games,
# several seconds with 2 workers), so that a worker or the job can be stopped mid-sweep.
SLOW_SPEC=$WORK/specs/slurm-slow.yaml
mkdir -p "$WORK/specs" "$WORK/ref"
cat >"$SLOW_SPEC" <<'EOF'
# cluster/test/slurm-test.sh: slow enough to stop a worker or the job in the middle.
name: slurm-slow
markets:
  - {market: gsm8k/best-of-n, models: [Qwen2.5-7B, Qwen2.5-3B, Llama-3-8B, Llama-3.1-8B, Llama-3.2-3B, Qwen2-7B, Qwen2-1.5B]}
axes:
  beta: [{logspace: [1, 4, 40]}]
  margin: [0.1, 0.25, 0.5]
  seed: {range: [0, 30]}
outputs: {chunk: 8, all_equilibria: true}
EOF
T0=$SECONDS
for s in "$E2E_SPEC" "$SLOW_SPEC"; do
    stem=$(basename "$s" .yaml)
    "$TTCG_BIN" run "$s" --out "$WORK/ref/$stem.h5" >"$WORK/ref/$stem.log" 2>&1 ||
        { tail -20 "$WORK/ref/$stem.log" >&2; setup_failed "the local reference run of $s failed (log above)"; }
done
say "local reference runs done in $((SECONDS - T0))s"

# ---- 1. sweep: status answers while it runs, results equal the local run ------------------------
T0=$SECONDS
D=$WORK/sweep
STATUS_OK=0 STATUS_RUNNING=0 STATUS_SEEN='' HTTP_SEEN='' HTTP_NO_TOKEN=''
poll_status() {
    local j line url
    # The dashboard: /api/status with the job's token, and without it.
    if [ -z "$HTTP_SEEN" ] && url=$(dashboard_url "$D/job-$1.out") && [ -n "$url" ]; then
        line=$(http_status "${url%%\?token=*}api/status?token=${url##*token=}")
        case $line in "200 "*) HTTP_SEEN=$line; HTTP_NO_TOKEN=$(http_status "${url%%\?token=*}api/status") ;; esac
    fi
    j=$(status_json "$D/job-$1.out") || return 0
    line=$(printf '%s\n' "$j" | json points_done points_total workers finished) || return 0
    [ -n "$line" ] || return 0
    STATUS_OK=$((STATUS_OK + 1))
    case $line in *" false") STATUS_RUNNING=$((STATUS_RUNNING + 1)) ;; esac
    STATUS_SEEN=$line
}
JOB=$(submit "$D" --output="$D/job-%j.out" "$SWEEP_SBATCH" "$E2E_SPEC" results/e2e.h5)
if [ -z "$JOB" ]; then
    fail sweep "sbatch failed"
elif ! wait_job "$JOB" poll_status; then
    show_job_log "$D/job-$JOB.out"; fail sweep "job $JOB did not finish in ${JOB_TIMEOUT}s"
elif ! job_ok "$JOB"; then
    show_job_log "$D/job-$JOB.out"; fail sweep "job $JOB: $(job_summary "$JOB"), expected COMPLETED 0:0"
elif [ "$STATUS_OK" -lt 1 ]; then
    show_job_log "$D/job-$JOB.out"; fail sweep "ttcg status (the command the job printed) never answered while job $JOB ran"
elif [ -z "$(dashboard_url "$D/job-$JOB.out")" ] || ! grep -qE "^ttcg-job: from a laptop: ssh -N -L 8080:[^ ]+:[0-9]+ " "$D/job-$JOB.out"; then
    show_job_log "$D/job-$JOB.out"; fail sweep "job $JOB did not print its dashboard URL and the ssh -L command"
elif [ "$HTTP_SEEN" != "200 2460" ]; then
    show_job_log "$D/job-$JOB.out"; fail sweep "the dashboard's /api/status (with the job's token) never answered with the sweep while job $JOB ran (last: ${HTTP_SEEN:-no answer})"
elif [ "$HTTP_NO_TOKEN" != 401 ] && [ "$HTTP_NO_TOKEN" != 403 ]; then
    fail sweep "the dashboard answered /api/status without the token: HTTP $HTTP_NO_TOKEN"
elif ! compare "$WORK/ref/e2e.h5" "$D/results/e2e.h5"; then
    fail sweep "job $JOB's results differ from the local run"
elif [ -e "$WORK/keys/$JOB" ] || [ -e "$WORK/tmp/ttcg-$(id -un)-job$JOB" ]; then
    fail sweep "job $JOB left its keys behind ($WORK/keys/$JOB or $WORK/tmp/ttcg-$(id -un)-job$JOB)"
else
    say "job $JOB: $(job_summary "$JOB"); ttcg status answered $STATUS_OK times, $STATUS_RUNNING before the end (last: points_done points_total workers finished = $STATUS_SEEN); the dashboard answered with the token (HTTP ${HTTP_SEEN%% *}), and $HTTP_NO_TOKEN without it"
    pass sweep
fi

# ---- 2. kill-worker: SIGKILL one worker step mid-sweep ------------------------------------------
T0=$SECONDS
D=$WORK/kill
KILLED='' KILL_NOTE=''
kill_a_worker() {
    local j line ndone total workers finished step
    [ -n "$KILLED" ] && return 0
    j=$(status_json "$D/job-$1.out") || return 0
    line=$(printf '%s\n' "$j" | json points_done points_total workers finished) || return 0
    read -r ndone total workers finished <<<"$line"
    [ -n "${finished:-}" ] || return 0
    if [ "$finished" = true ]; then KILLED=late; return 0; fi
    # Both workers connected and some results in, but far from the end.
    [ "$workers" -ge 2 ] && [ "$ndone" -gt 0 ] && [ $((ndone * 10)) -lt $((total * 7)) ] || return 0
    step=$(squeue --steps --jobs="$1" --noheader --format='%i %j' | awk '$2 == "ttcg-worker-1" { print $1; exit }')
    [ -n "$step" ] || return 0
    scancel --signal=KILL "$step" && KILLED=$step && KILL_NOTE="killed step $step (ttcg-worker-1) at $ndone of $total games"
}
# Short heartbeats, so that the dead worker's items go back to the queue after 2 s, not 10.
JOB=$(TTCG_COORDINATOR_ARGS="--heartbeat-ms 200 --timeout-ms 2000" \
    submit "$D" --output="$D/job-%j.out" "$SWEEP_SBATCH" "$SLOW_SPEC" results/slow.h5)
if [ -z "$JOB" ]; then
    fail kill-worker "sbatch failed"
elif ! wait_job "$JOB" kill_a_worker; then
    show_job_log "$D/job-$JOB.out"; fail kill-worker "job $JOB did not finish in ${JOB_TIMEOUT}s"
elif [ -z "$KILLED" ]; then
    show_job_log "$D/job-$JOB.out"; fail kill-worker "never saw both workers at work through ttcg status, so no worker was killed"
elif [ "$KILLED" = late ]; then
    fail kill-worker "the sweep finished before a worker could be killed (machine too fast for the test spec?)"
elif ! job_ok "$JOB"; then
    show_job_log "$D/job-$JOB.out"; fail kill-worker "job $JOB: $(job_summary "$JOB") after a worker was killed, expected COMPLETED 0:0"
elif ! grep -qE 'task 0: Killed|CANCELLED|signal' "$D/job-$JOB.out"; then
    show_job_log "$D/job-$JOB.out"; fail kill-worker "the job log does not show the killed worker step"
elif ! compare "$WORK/ref/slurm-slow.h5" "$D/results/slow.h5"; then
    fail kill-worker "job $JOB's results differ from the local run"
else
    say "job $JOB: $KILL_NOTE; $(job_summary "$JOB")"
    pass kill-worker
fi

# ---- 3. resume: cancel the job mid-sweep, resubmit, and once more -------------------------------
T0=$SECONDS
D=$WORK/resume
CANCELLED=
cancel_job() {
    local j line ndone total finished
    [ -n "$CANCELLED" ] && return 0
    j=$(status_json "$D/job-$1.out") || return 0
    line=$(printf '%s\n' "$j" | json points_done points_total finished) || return 0
    read -r ndone total finished <<<"$line"
    [ -n "${finished:-}" ] || return 0
    if [ "$finished" = true ]; then CANCELLED=late; return 0; fi
    [ "$ndone" -gt 0 ] && [ $((ndone * 10)) -lt $((total * 6)) ] || return 0
    scancel "$1" && CANCELLED="at $ndone of $total games"
}
resume_check() {
    local job1 job2 job3
    job1=$(submit "$D" --output="$D/job-%j.out" "$SWEEP_SBATCH" "$SLOW_SPEC" results/slow.h5)
    [ -n "$job1" ] || { fail resume "sbatch failed"; return; }
    wait_job "$job1" cancel_job || { show_job_log "$D/job-$job1.out"; fail resume "job $job1 did not end"; return; }
    [ -n "$CANCELLED" ] && [ "$CANCELLED" != late ] ||
        { show_job_log "$D/job-$job1.out"; fail resume "could not cancel job $job1 mid-sweep (${CANCELLED:-no status})"; return; }
    [ "$(job_field "$job1" JobState)" = CANCELLED ] ||
        { fail resume "job $job1: $(job_summary "$job1"), expected CANCELLED"; return; }
    [ -s "$D/results/slow.h5.journal" ] ||
        { show_job_log "$D/job-$job1.out"; fail resume "no journal beside the results after cancelling job $job1"; return; }
    grep -q 'interrupted after' "$D/job-$job1.out" ||
        { show_job_log "$D/job-$job1.out"; fail resume "the coordinator of job $job1 did not stop cleanly (no 'interrupted after' line)"; return; }

    job2=$(submit "$D" --output="$D/job-%j.out" "$SWEEP_SBATCH" "$SLOW_SPEC" results/slow.h5)
    [ -n "$job2" ] || { fail resume "sbatch (resubmission) failed"; return; }
    wait_job "$job2" || { show_job_log "$D/job-$job2.out"; fail resume "job $job2 did not finish"; return; }
    job_ok "$job2" || { show_job_log "$D/job-$job2.out"; fail resume "resubmitted job $job2: $(job_summary "$job2"), expected COMPLETED 0:0"; return; }
    grep -q 'resuming' "$D/job-$job2.out" ||
        { show_job_log "$D/job-$job2.out"; fail resume "resubmitted job $job2 did not resume from the journal"; return; }
    compare "$WORK/ref/slurm-slow.h5" "$D/results/slow.h5" || { fail resume "resumed results differ from the local run"; return; }

    job3=$(submit "$D" --output="$D/job-%j.out" "$SWEEP_SBATCH" "$SLOW_SPEC" results/slow.h5)
    [ -n "$job3" ] || { fail resume "sbatch (third submission) failed"; return; }
    wait_job "$job3" || { fail resume "job $job3 did not finish"; return; }
    job_ok "$job3" && grep -q 'already done' "$D/job-$job3.out" ||
        { show_job_log "$D/job-$job3.out"; fail resume "job $job3 on finished results: $(job_summary "$job3"), expected COMPLETED 0:0 and 'already done'"; return; }
    compare "$WORK/ref/slurm-slow.h5" "$D/results/slow.h5" >/dev/null || { fail resume "job $job3 changed finished results"; return; }
    say "job $job1 cancelled $CANCELLED; job $job2 resumed and completed; job $job3 found it already done"
    pass resume
}
resume_check

# ---- 4. array: two specs, one results file each ---------------------------------------------------
T0=$SECONDS
D=$WORK/array
array_check() {
    local job ids t bad=
    mkdir -p "$D"
    cp "$SLOW_SPEC" "$D/slurm-slow.yaml"
    printf '# specs for the array check\n%s\n\nslurm-slow.yaml\n' "$E2E_SPEC" >"$D/specs.txt"
    job=$(TTCG_HTTP=0 submit "$D" --array=1-2 --output="$D/job-%A_%a.out" "$ARRAY_SBATCH" specs.txt results)
    [ -n "$job" ] || { fail array "sbatch failed"; return; }
    wait_job "$job" || { fail array "array job $job did not finish"; return; }
    for t in 1 2; do
        ids=$(scontrol show job --oneliner "$job" 2>/dev/null | grep "ArrayTaskId=$t " | head -1)
        if ! printf '%s\n' "$ids" | grep -q 'JobState=COMPLETED' || ! printf '%s\n' "$ids" | grep -q 'ExitCode=0:0'; then
            show_job_log "$D/job-${job}_$t.out"
            bad="$bad task $t ($(printf '%s\n' "$ids" | tr ' ' '\n' | grep -E '^(JobState|ExitCode)=' | tr '\n' ' '))"
        fi
    done
    [ -z "$bad" ] || { fail array "array job $job:$bad, expected COMPLETED 0:0"; return; }
    ! grep -l 'dashboard' "$D"/job-"$job"_*.out >/dev/null 2>&1 || { fail array "TTCG_HTTP=0, but a job log shows a dashboard"; return; }
    compare "$WORK/ref/e2e.h5" "$D/results/e2e.h5" || { fail array "results/e2e.h5 differs from the local run"; return; }
    compare "$WORK/ref/slurm-slow.h5" "$D/results/slurm-slow.h5" || { fail array "results/slurm-slow.h5 differs from the local run"; return; }
    say "array job $job: tasks 1 and 2 completed, results/e2e.h5 and results/slurm-slow.h5"
    pass array
}
array_check

# ---- 5. deploy by sbcast: cluster/README.md's steps, read from the README and run as written ------
# (make test gives TTCG_DIST_TARBALL, the `make dist` tarball; without it this check is skipped.)
T0=$SECONDS
D=$WORK/sbcast
sbcast_check() {
    local job steps name
    name=$(basename "$TTCG_DIST_TARBALL" .tar.gz)
    # The README's block after "Without a shared filesystem": sbcast, srun tar, export TTCG.
    steps=$(awk '/^Without a shared filesystem/ { f = 1 } f && /^```sh/ { g = 1; next } g && /^```/ { exit } g' "$ROOT/cluster/README.md")
    printf '%s\n' "$steps" | grep -q '^sbcast ' || { fail sbcast "no sbcast block under 'Without a shared filesystem' in cluster/README.md"; return; }
    printf '%s\n' "$steps" | grep -qF "$name.tar.gz" || { fail sbcast "cluster/README.md's sbcast block does not name $name.tar.gz (the tarball make dist wrote)"; return; }
    [ ! -e "/tmp/$name" ] && [ ! -e /tmp/ttcg.tar.gz ] || { fail sbcast "/tmp/$name or /tmp/ttcg.tar.gz exists already; the README's steps would use it"; return; }
    mkdir -p "$D"
    cp "$TTCG_DIST_TARBALL" "$D/"
    { printf '#!/bin/bash\nset -eu\n'
      printf '%s\n' "$steps"
      printf 'echo "deploy: TTCG=$TTCG"\n"$TTCG" --version\n'
      printf 'exec %q %q results.h5\n' "$ROOT/cluster/slurm/ttcg-job.sh" "$E2E_SPEC"; } >"$D/deploy.sbatch"
    job=$(submit "$D" --output="$D/job-%j.out" "$D/deploy.sbatch")
    [ -n "$job" ] || { fail sbcast "sbatch failed"; return; }
    wait_job "$job" || { fail sbcast "job $job did not finish"; return; }
    rm -rf "/tmp/$name" /tmp/ttcg.tar.gz
    job_ok "$job" || { show_job_log "$D/job-$job.out"; fail sbcast "job $job: $(job_summary "$job"), expected COMPLETED 0:0"; return; }
    grep -qx "deploy: TTCG=/tmp/$name/bin/ttcg" "$D/job-$job.out" || { show_job_log "$D/job-$job.out"; fail sbcast "the job did not run /tmp/$name/bin/ttcg"; return; }
    compare "$WORK/ref/e2e.h5" "$D/results.h5" || { fail sbcast "results.h5 differs from the local run"; return; }
    say "job $job staged the tarball with sbcast, ran /tmp/$name/bin/ttcg; results.h5 equals the local run"
    pass sbcast
}
if [ -n "${TTCG_DIST_TARBALL:-}" ]; then sbcast_check; else say "sbcast check skipped: TTCG_DIST_TARBALL is not set (make test sets it)"; fi

closing
[ "$FAILED" -eq 0 ]
