#!/bin/bash
# slurm_lib.sh: a private single-node SLURM cluster for the SLURM tests.
# Sourced by tests/slurm_cluster_test.sh and tests/slurm_requeue_test.sh.
# Everything (munge key and socket, slurm.conf, state, spool, logs) lives in
# one temporary folder; daemons run in the foreground (-D/-F) under setsid and
# are stopped by the PIDs recorded here, also on failure (slurm_cluster_stop
# is meant for an EXIT trap). No systemd, no cgroups (proctrack/linuxproc,
# task/none), random free ports so that concurrent clusters do not collide.

# slurm_lib_log MSG...: one progress line on stderr, with elapsed seconds.
slurm_lib_log() { echo "[slurm-test $(( $(date +%s) - ${SLURM_LIB_T0:-$(date +%s)} ))s] $*" >&2; }

# slurm_lib_missing MSG: a missing dependency (tests/missing_dependency.sh:
# exit 77, or 1 under CI=true / ZCEVO_TEST_STRICT=1). Never returns.
slurm_lib_missing() {
    exec "$(dirname "${BASH_SOURCE[0]}")/missing_dependency.sh" --dependency "$*"
}

# slurm_lib_ensure_installed: sbatch, slurmctld, slurmd and munged must be
# installed (scripts/install_deps.sh does it: no test installs packages);
# otherwise a missing dependency.
slurm_lib_ensure_installed() {
    local missing=""
    for prog in sbatch squeue scontrol slurmctld slurmd munged mungekey; do
        command -v "$prog" >/dev/null 2>&1 || [ -x "/usr/sbin/$prog" ] || missing="$missing $prog"
    done
    [ -z "$missing" ] && return 0
    slurm_lib_missing "SLURM is not installed (missing:$missing; Debian: slurm-wlm munge, installed by scripts/install_deps.sh)"
}

# slurm_lib_free_port: prints a TCP port nobody listens on (from 20000-59999).
slurm_lib_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    return 1
}

# slurm_cluster_start DIR CPUS GPUS: writes DIR/slurm.conf (node "localhost",
# CPUS cpus, GPUS count-only "gpu" GRES when GPUS > 0, partition "debug",
# requeued jobs eligible again after cred_expire seconds), starts munged,
# slurmctld and slurmd, exports SLURM_CONF and waits (30 s at most) for the
# node to be idle. Sets SLURM_LIB_PIDS. Returns 1 (with the logs on stderr)
# when the cluster does not come up.
slurm_cluster_start() {
    local dir=$1 cpus=$2 gpus=$3
    SLURM_LIB_DIR=$dir
    SLURM_LIB_PIDS=""
    mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
    chmod 711 "$dir/munge"
    local ctld_port slurmd_port
    ctld_port=$(slurm_lib_free_port) && slurmd_port=$(slurm_lib_free_port) || return 1
    [ "$ctld_port" = "$slurmd_port" ] && slurmd_port=$((slurmd_port + 1))

    # munge: private key, socket and PID file (runs as root with --force)
    mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 ||
        { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null; chmod 600 "$dir/munge/munge.key"; }
    setsid /usr/sbin/munged -F --force --socket="$dir/munge/munge.sock" \
        --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
        --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/munged.out" 2>&1 &
    SLURM_LIB_MUNGED_PID=$!
    SLURM_LIB_PIDS="$SLURM_LIB_MUNGED_PID"
    for _ in $(seq 1 50); do [ -S "$dir/munge/munge.sock" ] && break; sleep 0.1; done
    if [ ! -S "$dir/munge/munge.sock" ]; then
        echo "munged did not start:" >&2; cat "$dir/log/munged.out" "$dir/log/munged.log" >&2 2>/dev/null
        return 1
    fi

    local gres_line="" gres_types=""
    if [ "$gpus" -gt 0 ]; then
        gres_types="GresTypes=gpu"
        gres_line=" Gres=gpu:$gpus"
        # count-only GPUs do not register (slurmd drops file-less GPUs): each
        # "GPU" is a link to /dev/null, a character device
        mkdir -p "$dir/dev"
        for i in $(seq 0 $((gpus - 1))); do ln -sf /dev/null "$dir/dev/gpu$i"; done
        echo "Name=gpu File=$dir/dev/gpu[0-$((gpus - 1))]" >"$dir/gres.conf"
    fi
    cat >"$dir/slurm.conf" <<CONF
# private test cluster written by tests/slurm_lib.sh
ClusterName=zcevotest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock,cred_expire=${SLURM_LIB_CRED_EXPIRE:-10}
MailProg=/bin/true
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=10
$gres_types
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus$gres_line State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    # slurmctld checks time limits (and sends --signal warnings) every 30 s
    # from its start: SLURM_LIB_CTLD_START lets a test place a job in that cycle
    # shellcheck disable=SC2034  # read by the tests
    SLURM_LIB_CTLD_START=$(date +%s)
    setsid /usr/sbin/slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
    SLURM_LIB_CTLD_PID=$!
    SLURM_LIB_PIDS="$SLURM_LIB_PIDS $SLURM_LIB_CTLD_PID"
    setsid /usr/sbin/slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
    SLURM_LIB_SLURMD_PID=$!
    SLURM_LIB_PIDS="$SLURM_LIB_PIDS $SLURM_LIB_SLURMD_PID"
    local state=""
    for _ in $(seq 1 300); do
        state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
        [ "$state" = idle ] && return 0
        sleep 0.1
    done
    echo "the private SLURM cluster did not come up (node state '$state'); logs:" >&2
    tail -20 "$dir"/log/*.log "$dir"/log/*.out >&2 2>/dev/null
    return 1
}

# slurm_lib_stop_pid PID NAME: SIGTERM, wait up to 15 s, then SIGKILL.
slurm_lib_stop_pid() {
    local pid=$1 name=$2
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.1; done
    echo "warning: $name (pid $pid) ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# slurm_lib_job_processes: PIDs of processes started by this cluster's jobs
# (slurmstepd, job scripts, tasks): their environment names our SLURM_CONF and
# they run outside the test's own session (the test exports SLURM_CONF too).
slurm_lib_job_processes() {
    local env_file pid my_sid
    [ -n "${SLURM_LIB_DIR:-}" ] || return 0
    my_sid=$(ps -o sid= -p $$ | tr -d ' ')
    for env_file in /proc/[0-9]*/environ; do
        pid=${env_file#/proc/}; pid=${pid%/environ}
        tr '\0' '\n' 2>/dev/null <"$env_file" | grep -qx "SLURM_CONF=$SLURM_LIB_DIR/slurm.conf" || continue
        case " $SLURM_LIB_PIDS " in *" $pid "*) continue ;; esac
        [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$my_sid" ] && continue
        echo "$pid"
    done
}

# slurm_cluster_stop: cancels every job, waits (20 s at most) for the queue to
# drain, stops slurmd, slurmctld and munged by PID (in that order), kills any
# job process left over, and removes the cluster folder unless
# SLURM_LIB_KEEP=1. Safe to call twice and from an EXIT trap.
slurm_cluster_stop() {
    [ -n "${SLURM_LIB_DIR:-}" ] || return 0
    if [ -n "${SLURM_LIB_CTLD_PID:-}" ] && kill -0 "$SLURM_LIB_CTLD_PID" 2>/dev/null; then
        # shellcheck disable=SC2046  # one argument per job id
        scancel --full --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null
        for _ in $(seq 1 200); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
    [ -n "${SLURM_LIB_SLURMD_PID:-}" ] && slurm_lib_stop_pid "$SLURM_LIB_SLURMD_PID" slurmd
    [ -n "${SLURM_LIB_CTLD_PID:-}" ] && slurm_lib_stop_pid "$SLURM_LIB_CTLD_PID" slurmctld
    local leftover
    leftover=$(slurm_lib_job_processes)
    if [ -n "$leftover" ]; then
        echo "warning: killing leftover job processes:" $leftover >&2
        kill -KILL $leftover 2>/dev/null
    fi
    [ -n "${SLURM_LIB_MUNGED_PID:-}" ] && slurm_lib_stop_pid "$SLURM_LIB_MUNGED_PID" munged
    if [ "${SLURM_LIB_KEEP:-0}" != 1 ]; then rm -rf "$SLURM_LIB_DIR"; else echo "kept $SLURM_LIB_DIR" >&2; fi
    SLURM_LIB_DIR=""
}

# slurm_job_state ID: the job's state (PENDING, RUNNING, COMPLETED, ...).
slurm_job_state() {
    scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n 's/^JobState=//p' | head -1
}

# slurm_job_field ID FIELD: one field of `scontrol show job -o ID`.
slurm_job_field() {
    scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# slurm_wait_jobs TIMEOUT_S ID...: waits until every job (and every array
# task) has left the queue, TIMEOUT_S seconds at most. Returns 1 on timeout
# (printing the queue).
slurm_wait_jobs() {
    local timeout=$1; shift
    local deadline=$(( $(date +%s) + timeout )) ids
    ids=$(echo "$@" | tr ' ' ',')
    while [ "$(date +%s)" -lt "$deadline" ]; do
        [ -z "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ] && return 0
        sleep 0.5
    done
    echo "timeout after ${timeout}s waiting for jobs $ids:" >&2
    squeue -j "$ids" -o '%.18i %.9P %.20j %.8T %.10M %.30R' >&2
    return 1
}
