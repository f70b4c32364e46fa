/* worker_loop.c: the worker side of a distributed `zcevo evolve` (see
 * worker_loop.h and common/mpi_protocol.h). */
#include "worker/worker_loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/util/util.h"
#include "common/program/local_eval.h"
#include "common/stats/stats_job.h"

static void ignore_signal(int sig) { (void)sig; }

int zc_worker_poll(int *len) {
    long wait_ns = 20000;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
        if (flag) {
            MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, len));
            return st.MPI_TAG;
        }
        zc_sleep_ns(wait_ns);
        if (wait_ns < 2000000) wait_ns += wait_ns / 4;
    }
}

/* send_wait: send without spinning a core while the master is busy. */
static void send_wait(const void *buf, size_t len, int tag) {
    MPI_Request r;
    MPI_CHECK(MPI_Isend(buf, (int)len, MPI_BYTE, 0, tag, MPI_COMM_WORLD, &r));
    long wait_ns = 20000;
    for (;;) {
        int done = 0;
        MPI_CHECK(MPI_Test(&r, &done, MPI_STATUS_IGNORE));
        if (done) return;
        zc_sleep_ns(wait_ns);
        if (wait_ns < 2000000) wait_ns += wait_ns / 4;
    }
}

static void send_error(int tag, int64_t job, const char *msg) {
    size_t head = tag == ZC_TAG_READY ? sizeof(zc_msg_ready) : sizeof(zc_msg_result);
    size_t len = head + strlen(msg) + 1;
    unsigned char *buf = zc_calloc(len, 1);
    if (tag == ZC_TAG_READY) {
        zc_msg_ready r = {1, 0, 0, 0};
        memcpy(buf, &r, sizeof r);
    } else {
        zc_msg_result r = {job, 1, 0, 0};
        memcpy(buf, &r, sizeof r);
    }
    memcpy(buf + head, msg, strlen(msg) + 1);
    send_wait(buf, len, tag);
    free(buf);
}

int zc_worker_evolve(const zc_evolve_opts *o) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int n_shards = 0, loaded_ok = 0;
    int probe_shard = -1;              /* shard starting with the probes    */
    zc_eval_ctx *check_ctx = NULL;
    zc_task_data *data = NULL;
    zc_local_eval *eval = NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    zc_program *progs = NULL;
    int progs_cap = 0;
    char err[1024];
    for (;;) {
        int len;
        int tag = zc_worker_poll(&len);
        if ((size_t)len + 1 > cap) {
            cap = (size_t)len + 1;
            buf = zc_realloc(buf, cap);
        }
        MPI_CHECK(MPI_Recv(buf, len, MPI_BYTE, 0, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        if (tag == ZC_TAG_STOP) break;
        if (tag == ZC_TAG_ASSIGN) {
            double t0 = zc_now();
            zc_msg_assign h;
            memcpy(&h, buf, sizeof h);
            n_shards = h.n_shards;
            data = zc_calloc((size_t)n_shards + 1, sizeof *data);
            int64_t bytes = 0;
            int rc = 0;
            for (int s = 0; s < n_shards && rc == 0; s++) {
                zc_shard sh;
                memcpy(&sh, buf + sizeof h + sizeof sh * (size_t)s, sizeof sh);
                rc = zc_evolve_load_shard(o, sh.task, sh.a0, sh.a1, &data[s], err, sizeof err);
                if (sh.task == 0 && sh.a0 == 0 && sh.a1 >= 2) probe_shard = s;
                if (rc == 0) bytes += zc_task_data_bytes(&data[s]);
            }
            if (rc != 0) {
                send_error(ZC_TAG_READY, 0, err);
                continue;
            }
            eval = zc_local_eval_new(data, n_shards, o->threads, NULL);
            loaded_ok = 1;
            zc_msg_ready r = {0, n_shards, bytes, zc_now() - t0};
            send_wait(&r, sizeof r, ZC_TAG_READY);
        } else if (tag == ZC_TAG_CHECK) {
            /* the quick check: exactly the master's test (evolve's
             * fitness_validate) on the first two architectures of task 0 */
            zc_msg_work h;
            memcpy(&h, buf, sizeof h);
            if (probe_shard < 0) {
                send_error(ZC_TAG_CHECKED, h.job, "this worker holds no probe architectures");
                continue;
            }
            double t0 = zc_now();
            if (!check_ctx) check_ctx = zc_eval_ctx_new();
            size_t out_len = sizeof(zc_msg_result) + (size_t)h.n_progs;
            unsigned char *out = zc_malloc(out_len + 1);
            size_t off = sizeof h;
            for (int p = 0; p < h.n_progs; p++) {
                zc_program prog;
                memset(&prog, 0, sizeof prog);
                memcpy(&prog.len, buf + off, 2);
                unsigned char verdict = 0;
                if (prog.len <= ZC_PROG_MAX_LEN && off + 2 + prog.len <= (size_t)len) {
                    memcpy(prog.code, buf + off + 2, prog.len);
                    verdict = 1;
                    for (int a = 0; a < 2 && verdict; a++) {
                        double score;
                        verdict = zc_eval_network(check_ctx, &prog,
                                                  &data[probe_shard].archs[a], &score) == 0;
                    }
                }
                out[sizeof(zc_msg_result) + p] = verdict;
                off += 2 + (size_t)prog.len;
            }
            zc_msg_result r = {h.job, 0, h.n_progs, zc_now() - t0};
            memcpy(out, &r, sizeof r);
            send_wait(out, out_len, ZC_TAG_CHECKED);
            free(out);
        } else if (tag == ZC_TAG_WORK) {
            zc_msg_work h;
            memcpy(&h, buf, sizeof h);
            if (!loaded_ok) {
                send_error(ZC_TAG_RESULT, h.job, "work arrived before the statistics");
                continue;
            }
            /* a STOP queued behind this job: the master drops in-flight work */
            int stop_pending = 0;
            MPI_CHECK(MPI_Iprobe(0, ZC_TAG_STOP, MPI_COMM_WORLD, &stop_pending,
                                 MPI_STATUS_IGNORE));
            if (stop_pending) continue;
            double t0 = zc_now();
            if (h.n_progs > progs_cap) {
                progs_cap = h.n_progs;
                progs = zc_realloc(progs, sizeof *progs * (size_t)progs_cap);
            }
            size_t off = sizeof h;
            int bad = 0;
            for (int p = 0; p < h.n_progs; p++) {
                memset(&progs[p], 0, sizeof progs[p]);
                memcpy(&progs[p].len, buf + off, 2);
                if (progs[p].len > ZC_PROG_MAX_LEN || off + 2 + progs[p].len > (size_t)len) {
                    bad = 1;
                    break;
                }
                memcpy(progs[p].code, buf + off + 2, progs[p].len);
                off += 2 + (size_t)progs[p].len;
            }
            if (bad) {
                send_error(ZC_TAG_RESULT, h.job, "malformed program batch");
                continue;
            }
            int64_t n_values = 0;
            for (int s = 0; s < n_shards; s++) n_values += (int64_t)h.n_progs * data[s].n_archs;
            size_t out_len = sizeof(zc_msg_result) + sizeof(double) * (size_t)n_values;
            unsigned char *out = zc_malloc(out_len);
            double **scores = zc_malloc(sizeof(double *) * (size_t)(n_shards + 1));
            double *v = (double *)(out + sizeof(zc_msg_result));
            for (int s = 0; s < n_shards; s++) {
                scores[s] = v;
                v += (size_t)h.n_progs * data[s].n_archs;
            }
            int rc = zc_local_eval_score(eval, progs, h.n_progs, scores, err, sizeof err);
            free(scores);
            if (rc != 0) {
                send_error(ZC_TAG_RESULT, h.job, rc == 1 ? "interrupted" : err);
                free(out);
                continue;
            }
            zc_msg_result r = {h.job, 0, (int32_t)n_values, zc_now() - t0};
            memcpy(out, &r, sizeof r);
            send_wait(out, out_len, ZC_TAG_RESULT);
            free(out);
        }
    }
    char ack = 0;
    send_wait(&ack, 0, ZC_TAG_STOP);
    zc_local_eval_free(eval);
    zc_eval_ctx_free(check_ctx);
    for (int s = 0; s < n_shards; s++) zc_task_data_free(&data[s]);
    free(data);
    free(progs);
    free(buf);
    return 0;
}

/* ---- distributed statistics ------------------------------------------------- */

static int send_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                       size_t errlen) {
    (void)ctx, (void)net, (void)err, (void)errlen;
    size_t len;
    unsigned char *buf = zc_record_pack(rec, sizeof(zc_msg_record), &len);
    zc_msg_record h = {i, 0, (int64_t)(len - sizeof h)};
    memcpy(buf, &h, sizeof h);
    send_wait(buf, len, ZC_TAG_RECORD);
    free(buf);
    return 0;
}

int zc_worker_records(const zc_task *task, zc_terminal_mask mask, const int *rows, int n,
                      int threads) {
    char err[1024] = "";
    zc_stats_job job = {.task = task, .mask = mask, .n_rows = n, .rows = rows,
                        .threads = threads, .progress = 0, .label = "stats",
                        .sink = send_record, .sink_ctx = NULL};
    int rc = n > 0 ? zc_stats_job_run(&job, err, sizeof err) : 0;
    if (rc != 0) {
        size_t len = sizeof(zc_msg_record) + strlen(err) + 1;
        unsigned char *buf = zc_calloc(len, 1);
        zc_msg_record h = {0, 1, (int64_t)(strlen(err) + 1)};
        memcpy(buf, &h, sizeof h);
        memcpy(buf + sizeof h, err, strlen(err) + 1);
        send_wait(buf, len, ZC_TAG_RECORD);
        free(buf);
    }
    zc_msg_record done = {-1, 0, 0};
    send_wait(&done, sizeof done, ZC_TAG_RECORD);
    return rc ? -1 : 0;
}
