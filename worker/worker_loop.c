/* worker_loop.c: the worker side of a distributed `zcevo evolve` (see
 * worker_loop.h and common/mpi/mpi_protocol.h): one handler per message
 * kind (ASSIGN, CHECK, WORK) around a polling loop. */
#include "worker/worker_loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/program/local_eval.h"
#include "common/program/quick_check.h"
#include "common/util/util.h"
#include "worker/worker_mpi.h"

/* What a worker holds between messages. */
typedef struct {
    const zc_task_set *set;
    int n_shards;
    zc_task_data *data;          /* its shards' statistics                 */
    int loaded_ok;
    int probe_shard;             /* shard starting with the probes, or -1  */
    zc_task_data probes;         /* float32 copies of the two probes        */
    zc_local_eval *eval;
    zc_eval_ctx *check_ctx;      /* the quick check's context               */
    zc_program *progs;           /* a WORK batch, decoded                   */
    int progs_cap;
} worker;

static void ignore_signal(int sig) { (void)sig; }

/* ignore_stop_signals: SIGTERM, SIGUSR1 and SIGINT do nothing here. */
static void ignore_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* send_error: msg as the error text of a READY (tag ZC_TAG_READY) or of an
 * answer to job (RESULT, CHECKED). */
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
    zc_worker_send(buf, len, tag);
    free(buf);
}

/* on_assign: load the shards of an ASSIGN message, start the scorer and
 * answer READY (or the load error). */
static void on_assign(worker *wk, const unsigned char *msg) {
    char err[1024];
    double t0 = zc_now();
    zc_msg_assign h;
    memcpy(&h, msg, sizeof h);
    wk->n_shards = h.n_shards;
    wk->data = zc_calloc((size_t)wk->n_shards + 1, sizeof *wk->data);
    int64_t bytes = 0;
    int rc = 0;
    for (int s = 0; s < wk->n_shards && rc == 0; s++) {
        zc_shard sh;
        memcpy(&sh, msg + sizeof h + sizeof sh * (size_t)s, sizeof sh);
        rc = zc_task_set_load_shard(wk->set, sh.task, sh.a0, sh.a1, &wk->data[s], err,
                                    sizeof err);
        if (rc == 0 && sh.task == 0 && sh.a0 == 0 && sh.a1 >= 2) {
            wk->probe_shard = s;
            zc_task_data_copy_float(&wk->data[s], 2, &wk->probes);
        }
        if (rc == 0) bytes += zc_task_data_bytes(&wk->data[s]);
    }
    if (rc != 0) {
        send_error(ZC_TAG_READY, 0, err);
        return;
    }
    wk->eval = zc_local_eval_new(wk->data, wk->n_shards, wk->set->threads, NULL);
    wk->loaded_ok = 1;
    zc_msg_ready r = {0, wk->n_shards, bytes, zc_now() - t0};
    zc_worker_send(&r, sizeof r, ZC_TAG_READY);
}

/* on_check: the quick check (zc_quick_check on the two probe
 * architectures, as the master's) of a CHECK batch of len bytes; a
 * malformed program fails it. Answers CHECKED, one byte per program. */
static void on_check(worker *wk, const unsigned char *msg, int len) {
    zc_msg_work h;
    memcpy(&h, msg, sizeof h);
    if (wk->probe_shard < 0) {
        send_error(ZC_TAG_CHECKED, h.job, "this worker holds no probe architectures");
        return;
    }
    double t0 = zc_now();
    if (!wk->check_ctx) wk->check_ctx = zc_eval_ctx_new();
    const zc_arch_stats *probe = wk->probes.archs;
    size_t out_len = sizeof(zc_msg_result) + (size_t)h.n_progs;
    unsigned char *out = zc_malloc(out_len + 1);
    size_t off = sizeof h;
    for (int p = 0; p < h.n_progs; p++) {
        zc_program prog;
        memset(&prog, 0, sizeof prog);
        memcpy(&prog.len, msg + off, 2);
        unsigned char verdict = 0;
        if (prog.len <= ZC_PROG_MAX_LEN && off + 2 + prog.len <= (size_t)len) {
            memcpy(prog.code, msg + off + 2, prog.len);
            verdict = (unsigned char)zc_quick_check(wk->check_ctx, &prog, probe, 2);
        }
        out[sizeof(zc_msg_result) + p] = verdict;
        off += 2 + (size_t)prog.len;
    }
    zc_msg_result r = {h.job, 0, h.n_progs, zc_now() - t0};
    memcpy(out, &r, sizeof r);
    zc_worker_send(out, out_len, ZC_TAG_CHECKED);
    free(out);
}

/* decode_programs: the n programs of a WORK batch of len bytes into
 * wk->progs. Returns 0, or -1 when the batch is malformed. */
static int decode_programs(worker *wk, const unsigned char *msg, int len, int n) {
    if (n > wk->progs_cap) {
        wk->progs_cap = n;
        wk->progs = zc_realloc(wk->progs, sizeof *wk->progs * (size_t)wk->progs_cap);
    }
    size_t off = sizeof(zc_msg_work);
    for (int p = 0; p < n; p++) {
        zc_program *pr = &wk->progs[p];
        memset(pr, 0, sizeof *pr);
        memcpy(&pr->len, msg + off, 2);
        if (pr->len > ZC_PROG_MAX_LEN || off + 2 + pr->len > (size_t)len) return -1;
        memcpy(pr->code, msg + off + 2, pr->len);
        off += 2 + (size_t)pr->len;
    }
    return 0;
}

/* on_work: the scores of a WORK batch on every architecture of the
 * worker's shards, answered as RESULT (or an error text). A batch with a
 * STOP queued behind it is dropped: the master drops in-flight work. */
static void on_work(worker *wk, const unsigned char *msg, int len) {
    char err[1024];
    zc_msg_work h;
    memcpy(&h, msg, sizeof h);
    if (!wk->loaded_ok) {
        send_error(ZC_TAG_RESULT, h.job, "work arrived before the statistics");
        return;
    }
    int stop_pending = 0;
    MPI_CHECK(MPI_Iprobe(0, ZC_TAG_STOP, MPI_COMM_WORLD, &stop_pending, MPI_STATUS_IGNORE));
    if (stop_pending) return;
    double t0 = zc_now();
    if (decode_programs(wk, msg, len, h.n_progs) != 0) {
        send_error(ZC_TAG_RESULT, h.job, "malformed program batch");
        return;
    }
    int64_t n_values = 0;
    for (int s = 0; s < wk->n_shards; s++) n_values += (int64_t)h.n_progs * wk->data[s].n_archs;
    size_t out_len = sizeof(zc_msg_result) + sizeof(double) * (size_t)n_values;
    unsigned char *out = zc_malloc(out_len);
    double **scores = zc_malloc(sizeof(double *) * (size_t)(wk->n_shards + 1));
    double *v = (double *)(out + sizeof(zc_msg_result));
    for (int s = 0; s < wk->n_shards; s++) {
        scores[s] = v;
        v += (size_t)h.n_progs * wk->data[s].n_archs;
    }
    int rc = zc_local_eval_score(wk->eval, wk->progs, h.n_progs, scores, err, sizeof err);
    free(scores);
    if (rc != 0) {
        send_error(ZC_TAG_RESULT, h.job, rc == 1 ? "interrupted" : err);
        free(out);
        return;
    }
    zc_msg_result r = {h.job, 0, (int32_t)n_values, zc_now() - t0};
    memcpy(out, &r, sizeof r);
    zc_worker_send(out, out_len, ZC_TAG_RESULT);
    free(out);
}

/* worker_free: release what the worker holds. */
static void worker_free(worker *wk) {
    zc_local_eval_free(wk->eval);
    zc_eval_ctx_free(wk->check_ctx);
    for (int s = 0; s < wk->n_shards; s++) zc_task_data_free(&wk->data[s]);
    free(wk->data);
    zc_task_data_free(&wk->probes);
    free(wk->progs);
}

int zc_worker_evolve(const zc_task_set *set) {
    ignore_stop_signals();
    worker wk;
    memset(&wk, 0, sizeof wk);
    wk.set = set;
    wk.probe_shard = -1;
    unsigned char *buf = NULL;
    size_t cap = 0;
    for (;;) {
        int len;
        int tag = zc_worker_poll(&len);
        if ((size_t)len + 1 > cap) {
            cap = (size_t)len + 1;
            buf = zc_realloc(buf, cap);
        }
        MPI_CHECK(MPI_Recv(buf, len, MPI_BYTE, 0, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        if (tag == ZC_TAG_STOP) break;
        if (tag == ZC_TAG_ASSIGN) on_assign(&wk, buf);
        else if (tag == ZC_TAG_CHECK) on_check(&wk, buf, len);
        else if (tag == ZC_TAG_WORK) on_work(&wk, buf, len);
    }
    char ack = 0;
    zc_worker_send(&ack, 0, ZC_TAG_STOP);
    worker_free(&wk);
    free(buf);
    return 0;
}
