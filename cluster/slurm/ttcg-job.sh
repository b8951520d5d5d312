#!/bin/bash
# ttcg-job.sh: run one ttcg sweep inside a Slurm allocation. Task 0 is the coordinator, every
# other task a worker. ttcg-sweep.sbatch and ttcg-array.sbatch run it as their batch script;
# you do not need to call it yourself.
#
#   ttcg-job.sh SPEC OUT                 one sweep: SPEC -> OUT (HDF5)
#   ttcg-job.sh --array LIST OUTDIR      entry number $SLURM_ARRAY_TASK_ID of LIST -> OUTDIR/<stem>.h5
#
# What it does, in order:
#   1. Checks its input. If OUT.journal exists it resumes (--resume). If OUT exists, is completed
#      and has no journal, it says so and exits: 0 if every point is done, 1 if some failed.
#   2. Generates CURVE keys for this job (ttcg keygen) into a private directory, mode 0700:
#      $TTCG_KEYS_DIR/$SLURM_JOB_ID (default ~/.ttcg/jobs/JOBID). The coordinator reads them
#      there. Every node of the job gets worker.key and coordinator.pub in a node-local private
#      directory ($TMPDIR or /tmp), sent through srun's stdin, so workers need no shared
#      filesystem. The coordinator's secret key never leaves its node.
#   3. Starts the coordinator in the batch step itself, which Slurm runs on the first node of
#      the job, in task 0's place: that node must read SPEC and write OUT. Not as an srun step,
#      on purpose: where memory is a consumable resource, a step without a memory request
#      takes all the job's memory on its node (and --overlap does not share memory on every
#      Slurm version), so a coordinator step and the worker steps on that node would wait for
#      each other. The batch step needs no step resources, and Slurm still signals it on
#      scancel and at the time limit.
#   4. Starts one job step per worker task (srun --exact -N1 -n1 -c CPUS -w NODE), laid out as
#      Slurm laid out the job's tasks: the first node runs its task count minus one (task 0 is
#      the coordinator), every other node its task count. A worker that dies, or a node that
#      is lost, takes only its own step; its work items go back to the others.
#   5. Prints the `ttcg status` command to watch the sweep and the dashboard's address (the
#      coordinator serves it with --http on $TTCG_HTTP_PORT, behind a per-job token kept in the
#      key directory, mode 0600; the job log that shows it is made private to you), with the
#      `ssh -L` command that reaches it from a laptop. Then it waits for the coordinator and
#      exits with its exit code: 0 every point is done; 1 some points failed or the sweep was
#      interrupted (time limit, scancel: resubmit to resume); 2 bad input.
#      If every worker step has ended and the coordinator still waits for results, it is
#      stopped after $TTCG_NO_WORKER_GRACE seconds (the journal keeps its results) and the
#      job exits 1.
#
# Settings (environment variables; sbatch passes your environment to the job):
#   TTCG                    the ttcg binary (default: ttcg on PATH); the same path must work
#                           on every node
#   TTCG_PORT               the coordinator's work port (default 20000 + 2 * (job id mod 20000))
#   TTCG_STATUS_PORT        its status port (default TTCG_PORT + 1)
#   TTCG_HOST               the address workers and `ttcg status` use for the coordinator
#                           (default: the first node's name, or its NodeAddr if the name does
#                           not resolve; e.g. set node01-ib to use an InfiniBand interface)
#   TTCG_KEYS_DIR           where the per-job key directories go (default ~/.ttcg/jobs)
#   TTCG_HTTP=0             no dashboard (default 1: the coordinator serves the web dashboard and
#                           Prometheus /metrics, read-only, behind the job's token)
#   TTCG_HTTP_PORT          the dashboard's port (default 10000 + job id mod 10000)
#   TTCG_THREADS            threads per worker (default $SLURM_CPUS_PER_TASK, else 1)
#   TTCG_HEAD_WORKER=1      also run a worker on task 0's CPUs (the coordinator needs little CPU)
#   TTCG_LINGER             seconds the coordinator answers late workers and status at the end (5)
#   TTCG_CONNECT_TIMEOUT    seconds a worker waits for the coordinator (300)
#   TTCG_NO_WORKER_GRACE    seconds without any worker before the coordinator is stopped (120)
#   TTCG_FORCE=1            start over: replace OUT and its journal (ttcg coordinator --force)
#   TTCG_COORDINATOR_ARGS   extra arguments for ttcg coordinator (e.g. "--attempts 5")
#   TTCG_WORKER_ARGS        extra arguments for ttcg worker
#
# Written for bash and Slurm 21.08 or later (srun --exact and --overlap); tested on 22.05.

set -u
umask 077

log() { printf 'ttcg-job: %s\n' "$*"; }
err() { printf 'ttcg-job: %s\n' "$*" >&2; }
die() { err "$1"; exit "${2:-2}"; }

usage() {
    err "usage: ttcg-job.sh SPEC OUT | ttcg-job.sh --array LIST OUTDIR (inside a Slurm job)"
    exit 2
}

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

abspath() { # the absolute form of a path whose directory exists
    local d b
    d=$(dirname -- "$1") && b=$(basename -- "$1") && d=$(cd -- "$d" 2>/dev/null && pwd -P) || return 1
    if [ "$d" = / ]; then printf '/%s\n' "$b"; else printf '%s/%s\n' "$d" "$b"; fi
}

# ---- the array form: pick this task's spec from LIST ---------------------------------------
# LIST holds one spec path per line. Blank lines and lines starting with # are skipped; array
# task N (N = 1, 2, ...) takes the N-th remaining line. A relative path is relative to the
# directory of LIST. The results go to OUTDIR/<stem>.h5, <stem> being the spec's file name
# without .yaml/.yml, so two specs in one list must not share a file name.
pick_from_list() {
    local list=$1 outdir=$2 n=${SLURM_ARRAY_TASK_ID:-}
    [ -n "$n" ] || die "--array: SLURM_ARRAY_TASK_ID is not set: submit with sbatch --array=1-N (N = number of specs in $list)"
    is_uint "$n" && [ "$n" -ge 1 ] || die "--array: array task id $n: entries are numbered from 1; submit with --array=1-N"
    [ -r "$list" ] || die "--array: cannot read the spec list $list"
    local entries count line listdir
    entries=$(grep -vE '^[[:space:]]*(#|$)' -- "$list" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
    count=$(printf '%s\n' "$entries" | grep -c .)
    [ "$n" -le "$count" ] || die "--array: array task $n, but $list has only $count specs; submit with --array=1-$count"
    line=$(printf '%s\n' "$entries" | sed -n "${n}p")
    listdir=$(cd -- "$(dirname -- "$list")" && pwd -P)
    case $line in /*) SPEC=$line ;; *) SPEC=$listdir/$line ;; esac
    local stem dups
    stem=$(basename -- "$line"); stem=${stem%.yaml}; stem=${stem%.yml}
    dups=$(printf '%s\n' "$entries" | while IFS= read -r l; do
        s=$(basename -- "$l"); s=${s%.yaml}; s=${s%.yml}; [ "$s" = "$stem" ] && echo x; done | grep -c x)
    [ "$dups" -eq 1 ] || die "--array: $dups specs in $list are named $stem: their results would share $outdir/$stem.h5; rename one"
    OUT=$outdir/$stem.h5
    log "array task $n of $count: $SPEC -> $OUT"
}

case ${1:-} in
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --array) [ $# -eq 3 ] || usage; mkdir -p -- "$3" || die "cannot create $3"; pick_from_list "$2" "$3" ;;
    *) [ $# -eq 2 ] || usage; SPEC=$1; OUT=$2 ;;
esac

# ---- check the input ------------------------------------------------------------------------
[ -n "${SLURM_JOB_ID:-}" ] || die "not inside a Slurm job: submit with sbatch (e.g. sbatch cluster/slurm/ttcg-sweep.sbatch SPEC OUT)"
JOB=$SLURM_JOB_ID
TTCG_CMD=${TTCG:-ttcg}
TTCG_BIN=$(command -v -- "$TTCG_CMD") || die "ttcg not found (TTCG=$TTCG_CMD): put it on PATH or set TTCG=/path/to/ttcg"
case $TTCG_BIN in /*) ;; *) TTCG_BIN=$(abspath "$TTCG_BIN") ;; esac
[ -r "$SPEC" ] || die "cannot read the spec $SPEC (the job's first node needs it; paths are relative to $(pwd))"
SPEC=$(abspath "$SPEC") || die "cannot resolve $SPEC"
OUTDIR=$(dirname -- "$OUT")
mkdir -p -- "$OUTDIR" || die "cannot create the results directory $OUTDIR"
OUT=$(abspath "$OUT") || die "cannot resolve $OUT"

NTASKS=${SLURM_NTASKS:-1}
is_uint "$NTASKS" || die "SLURM_NTASKS=$NTASKS is not a number"
THREADS=${TTCG_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
is_uint "$THREADS" && [ "$THREADS" -ge 1 ] || die "threads per worker: expected a number >= 1, got $THREADS"
HEAD_WORKER=${TTCG_HEAD_WORKER:-0}
if [ "$NTASKS" -lt 2 ] && [ "$HEAD_WORKER" != 1 ]; then
    die "the job has $NTASKS task: it needs 1 for the coordinator and at least 1 for workers (sbatch --ntasks=N, N >= 2), or TTCG_HEAD_WORKER=1"
fi
LINGER=${TTCG_LINGER:-5}
CONNECT_TIMEOUT=${TTCG_CONNECT_TIMEOUT:-300}
GRACE=${TTCG_NO_WORKER_GRACE:-120}
is_uint "$GRACE" || die "TTCG_NO_WORKER_GRACE: expected seconds, got $GRACE"

NODES=()
while IFS= read -r n; do [ -n "$n" ] && NODES+=("$n"); done < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
[ ${#NODES[@]} -ge 1 ] || die "cannot read the job's node list ($SLURM_JOB_NODELIST) with scontrol show hostnames"
HEAD=${NODES[0]}
# Workers connect to the first node by its name. If that name does not resolve (some sites
# name nodes apart from their hosts), use the address Slurm itself reaches it at (NodeAddr).
HOST=${TTCG_HOST:-}
if [ -z "$HOST" ]; then
    HOST=$HEAD
    if ! getent hosts "$HEAD" >/dev/null 2>&1; then
        addr=$(scontrol show node "$HEAD" 2>/dev/null | tr ' ' '\n' | sed -n 's/^NodeAddr=//p' | head -1)
        [ -n "$addr" ] && HOST=$addr
    fi
fi

PORT=${TTCG_PORT:-$((20000 + 2 * (JOB % 20000)))}
SPORT=${TTCG_STATUS_PORT:-$((PORT + 1))}
for p in "$PORT" "$SPORT"; do
    is_uint "$p" && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "port $p: expected 1..65535 (TTCG_PORT, TTCG_STATUS_PORT)"
done
[ "$PORT" != "$SPORT" ] || die "TTCG_PORT and TTCG_STATUS_PORT are both $PORT"
# The dashboard (ttcg coordinator --http): below the default work ports, so that it never takes
# another job's work or status port; two jobs on one node clash only if their ids are equal
# modulo 10000.
HTTP=${TTCG_HTTP:-1}
case $HTTP in 0 | 1) ;; *) die "TTCG_HTTP: expected 0 or 1, got $HTTP" ;; esac
HPORT=${TTCG_HTTP_PORT:-$((10000 + JOB % 10000))}
if [ "$HTTP" = 1 ]; then
    is_uint "$HPORT" && [ "$HPORT" -ge 1 ] && [ "$HPORT" -le 65535 ] || die "TTCG_HTTP_PORT: expected 1..65535, got $HPORT"
    [ "$HPORT" != "$PORT" ] && [ "$HPORT" != "$SPORT" ] || die "TTCG_HTTP_PORT $HPORT is also the work or status port"
fi

# ---- fresh start, resume, or already done ---------------------------------------------------
MODE=()
if [ "${TTCG_FORCE:-0}" = 1 ]; then
    MODE=(--force)
    log "TTCG_FORCE=1: starting over; $OUT and its journal are replaced"
elif [ -e "$OUT.journal" ]; then
    MODE=(--resume)
    log "$OUT.journal exists: resuming the unfinished sweep"
elif [ -e "$OUT" ]; then
    state=$("$TTCG_BIN" inspect "$OUT" --json --get completed --get points_done --get points_total --get points_failed 2>&1) ||
        die "$OUT exists but is not a readable results file ($(printf '%s' "$state" | head -1)); move it away, or set TTCG_FORCE=1 to replace it"
    { read -r completed; read -r done_; read -r total; read -r failed; } <<< "$state"
    if [ "$completed" = true ]; then
        games="$done_ of $total games done, $failed failed"
        if [ "$failed" = 0 ]; then
            log "$OUT is already done ($games); nothing to do. TTCG_FORCE=1 starts over."
            exit 0
        fi
        log "$OUT is finished, but not every point is done ($games); see its errors groups, or set TTCG_FORCE=1 to start over"
        exit 1
    fi
    die "$OUT exists, is not completed and has no journal to resume from; move it away, or set TTCG_FORCE=1 to replace it"
fi

# ---- keys ------------------------------------------------------------------------------------
KEYROOT=${TTCG_KEYS_DIR:-${HOME:-$(pwd)}/.ttcg/jobs}
mkdir -p -- "$KEYROOT" || die "cannot create $KEYROOT (TTCG_KEYS_DIR)"
KEYS=$KEYROOT/$JOB
rm -rf -- "$KEYS"  # a requeued job runs again under the same id: new keys
"$TTCG_BIN" keygen --out "$KEYS" >/dev/null || die "ttcg keygen --out $KEYS failed" 1
chmod 700 -- "$KEYS"
# The dashboard's token: 128 random bits, in the key directory (mode 0600), gone with it.
HTTP_ARGS=()
if [ "$HTTP" = 1 ]; then
    TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    [ ${#TOKEN} -eq 32 ] || die "cannot read 16 random bytes from /dev/urandom for the dashboard's token" 1
    printf '%s\n' "$TOKEN" > "$KEYS/http.token" && chmod 600 -- "$KEYS/http.token" || die "cannot write $KEYS/http.token" 1
    HTTP_ARGS=(--http "0.0.0.0:$HPORT" --http-token-file "$KEYS/http.token")
fi
# Node-local copies for the workers: same path on every node, private, removed at the end.
LOCAL=${TMPDIR:-/tmp}/ttcg-$(id -un)-job$JOB
NNODES=${#NODES[@]}

cleanup() {
    if [ -n "${CLEANUP_NODES:-}" ] && [ "${STOPPING:-0}" = 0 ]; then
        srun --overlap --nodes="$NNODES" --ntasks="$NNODES" --ntasks-per-node=1 --job-name=ttcg-cleanup \
            rm -rf -- "$LOCAL" >/dev/null 2>&1
    fi
    rm -rf -- "$LOCAL" "$KEYS"
}

CLEANUP_NODES=1
# srun gives its stdin to every task: each node's task writes worker.key, mode 0600.
if ! srun --overlap --nodes="$NNODES" --ntasks="$NNODES" --ntasks-per-node=1 --job-name=ttcg-keys \
        bash -c 'umask 077 && mkdir -p -- "$1" && chmod 700 -- "$1" && t=$1/.key.$$ &&
                 cat > "$t" && [ -s "$t" ] && mv -f -- "$t" "$1/worker.key" &&
                 printf "%s\n" "$2" > "$t" && mv -f -- "$t" "$1/coordinator.pub"' \
        ttcg-keys "$LOCAL" "$(grep -v '^#' "$KEYS/coordinator.pub")" < "$KEYS/worker.key"; then
    cleanup
    die "could not copy the worker keys to the job's nodes (srun failed)" 1
fi

# ---- the coordinator: in this batch step, on the first node ---------------------------------
STOPPING=0
COORD=
on_signal() {
    # scancel or the time limit: Slurm signals every process of the job (the coordinator keeps
    # its journal). Pass it on anyway, in case only this shell was signalled
    # (scancel --batch, sbatch --signal=B:...), and let the waits below collect the exit codes.
    STOPPING=1
    [ -n "$COORD" ] && kill -TERM "$COORD" 2>/dev/null
    err "interrupted: waiting for the coordinator to save its journal"
}
trap on_signal TERM INT HUP

read -r -a COORD_EXTRA <<< "${TTCG_COORDINATOR_ARGS:-}"
read -r -a WORKER_EXTRA <<< "${TTCG_WORKER_ARGS:-}"

log "job $JOB: $SPEC -> $OUT"
NWORKERS=$((NTASKS - 1 + (HEAD_WORKER == 1 ? 1 : 0)))
log "coordinator on $HEAD (tcp://$HOST:$PORT, status port $SPORT); $NWORKERS worker(s) x $THREADS thread(s) on $NNODES node(s); keys in $KEYS"
"$TTCG_BIN" coordinator "$SPEC" --out "$OUT" \
    --bind "tcp://0.0.0.0:$PORT" --status-bind "tcp://0.0.0.0:$SPORT" \
    --curve-secret "$KEYS/coordinator.key" --authorized-keys "$KEYS/authorized" \
    --linger "$LINGER" ${HTTP_ARGS[@]+"${HTTP_ARGS[@]}"} ${MODE[@]+"${MODE[@]}"} ${COORD_EXTRA[@]+"${COORD_EXTRA[@]}"} &
COORD=$!

# A coordinator that refuses its input (a port in use, a bad spec) stops at once: then start
# no workers, they would only wait for it.
sleep 1
kill -0 "$COORD" 2>/dev/null || NO_WORKERS=1

# ---- the workers: one step per worker task, on the node Slurm gave that task ---------------
# SLURM_TASKS_PER_NODE looks like "2(x3),1": 2 tasks on each of the first 3 nodes, then 1.
PER_NODE=()
IFS=, read -r -a groups <<< "${SLURM_TASKS_PER_NODE:-}"
for g in ${groups[@]+"${groups[@]}"}; do
    if [[ $g =~ ^([0-9]+)\(x([0-9]+)\)$ ]]; then
        for ((i = 0; i < BASH_REMATCH[2]; i++)); do PER_NODE+=("${BASH_REMATCH[1]}"); done
    elif [[ $g =~ ^[0-9]+$ ]]; then
        PER_NODE+=("$g")
    fi
done
PLACES=()  # one node name per worker
if [ ${#PER_NODE[@]} -eq "$NNODES" ]; then
    for ((i = 0; i < NNODES; i++)); do
        k=${PER_NODE[i]}
        [ "$i" -eq 0 ] && [ "$HEAD_WORKER" != 1 ] && k=$((k - 1))
        for ((j = 0; j < k; j++)); do PLACES+=("${NODES[i]}"); done
    done
else  # unexpected layout: let Slurm place the steps
    for ((j = 0; j < NTASKS - 1 + (HEAD_WORKER == 1 ? 1 : 0); j++)); do PLACES+=(""); done
fi

WORKERS=()
STEP_MEM=()
# With memory as a consumable resource, a step without a memory request gets all the job's
# memory on its node and the next step waits for it: ask for this task's share instead.
if [ -n "${SLURM_MEM_PER_CPU:-}" ]; then
    STEP_MEM=(--mem-per-cpu="$SLURM_MEM_PER_CPU")
elif [ -n "${SLURM_MEM_PER_NODE:-}" ] && [ -n "${SLURM_CPUS_ON_NODE:-}" ] && [ "${SLURM_CPUS_ON_NODE:-0}" -gt 0 ]; then
    STEP_MEM=(--mem="$((SLURM_MEM_PER_NODE * THREADS / SLURM_CPUS_ON_NODE))M")
fi
[ "${NO_WORKERS:-0}" = 1 ] && PLACES=()
for ((w = 0; w < ${#PLACES[@]}; w++)); do
    where=()
    [ -n "${PLACES[w]}" ] && where=(--nodelist="${PLACES[w]}")
    srun --exact --nodes=1 --ntasks=1 --cpus-per-task="$THREADS" ${where[@]+"${where[@]}"} ${STEP_MEM[@]+"${STEP_MEM[@]}"} \
        --job-name="ttcg-worker-$((w + 1))" --kill-on-bad-exit=0 \
        "$TTCG_BIN" worker --connect "tcp://$HOST:$PORT" --threads "$THREADS" \
        --curve-secret "$LOCAL/worker.key" --server-key "$LOCAL/coordinator.pub" \
        --connect-timeout "$CONNECT_TIMEOUT" ${WORKER_EXTRA[@]+"${WORKER_EXTRA[@]}"} &
    WORKERS+=($!)
done

quote() { local a out=; for a in "$@"; do out+=" $(printf '%q' "$a")"; done; printf '%s\n' "${out# }"; }
[ "${NO_WORKERS:-0}" = 1 ] || {
log "watch it (from the login node, or any machine that reaches $HOST:$SPORT and reads $KEYS):"
printf '  %s\n' "$(quote "$TTCG_CMD" status --connect "tcp://$HOST:$SPORT" --curve-secret "$KEYS/worker.key" --server-key "$KEYS/coordinator.pub" --watch)"
log "(if a firewall is in the way, run it on $HEAD itself, with tcp://127.0.0.1:$SPORT)"
if [ "$HTTP" = 1 ]; then
    # The log now holds the token: keep it to its owner (the dashboard is read-only, but the
    # token is the job's alone).
    joblog=$(scontrol show job --oneliner "$JOB" 2>/dev/null | tr ' ' '\n' | sed -n 's/^StdOut=//p' | head -1)
    [ -n "$joblog" ] && [ -O "$joblog" ] && chmod go-rwx -- "$joblog" 2>/dev/null
    log "dashboard (progress, workers, live science; Prometheus at /metrics with the same token):"
    printf '  http://%s:%s/?token=%s\n' "$HOST" "$HPORT" "$TOKEN"
    log "from a laptop: ssh -N -L 8080:$HOST:$HPORT ${SLURM_SUBMIT_HOST:-LOGIN-NODE}, then open:"
    printf '  http://localhost:8080/?token=%s\n' "$TOKEN"
fi
}

alive_workers() {
    local n=0 p
    for p in ${WORKERS[@]+"${WORKERS[@]}"}; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
    echo "$n"
}

# ---- wait for the coordinator ---------------------------------------------------------------
none_since=
stopped=0
while kill -0 "$COORD" 2>/dev/null; do
    if [ "$STOPPING" = 0 ] && [ "$stopped" = 0 ] && [ "$(alive_workers)" -eq 0 ]; then
        none_since=${none_since:-$SECONDS}
        if [ $((SECONDS - none_since)) -ge "$GRACE" ]; then
            err "every worker step has ended, and the coordinator has waited ${GRACE}s for results: stopping it (its journal keeps what is done; resubmit to resume)"
            kill -TERM "$COORD"
            stopped=1
        fi
    else
        none_since=
    fi
    sleep 2
done
# wait is interrupted by a trapped signal (exit code > 128): wait again until it has exited.
while :; do
    wait "$COORD"; rc=$?
    kill -0 "$COORD" 2>/dev/null || break
done
[ "$stopped" = 1 ] && [ "$rc" = 0 ] && rc=1

# The workers get DONE and exit; give them the linger time and a little more, then end them.
deadline=$((SECONDS + ${LINGER%.*} + 15))
while [ "$(alive_workers)" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
for p in ${WORKERS[@]+"${WORKERS[@]}"}; do kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null; done
wait 2>/dev/null
cleanup

case $rc in
    0) log "done: every point of $SPEC is in $OUT" ;;
    1) if [ -e "$OUT.journal" ]; then
           log "not complete (exit 1): the sweep was interrupted; resubmit the same command to resume from $OUT.journal"
       else
           log "finished with failed points (exit 1): see the coordinator's message above and the errors groups of $OUT"
       fi ;;
    2) log "bad input (exit 2): see the coordinator's message above (a port in use? set TTCG_PORT and TTCG_STATUS_PORT, or TTCG_HTTP_PORT)" ;;
    *) log "the coordinator ended with exit code $rc; if $OUT.journal exists, resubmit the same command to resume" ;;
esac
exit "$rc"
