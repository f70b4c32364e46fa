/* dispatch_internal.h: the evolve master's state and its parts, shared by
 * the master/dispatch/dispatch*.c files only: start (shares to the
 * workers), the job round (one mechanism that cuts programs into batches,
 * sends them, receives the answers and detects lost workers), and the two
 * uses of rounds (scores and quick checks). See dispatch.h (not included
 * here, so that dispatch.c and this header form no circle). */
#ifndef ZC_DISPATCH_INTERNAL_H
#define ZC_DISPATCH_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/mpi/mpi_protocol.h"
#include "master/dispatch/dispatch_recv.h"
#include "master/gp/evolve.h"

/* Traffic and cost counters of one kind of round (scores or checks). */
typedef struct {
    long long messages;         /* batches sent                              */
    double bytes_sent, bytes_received;
    double worker_seconds;      /* compute time reported by workers          */
    double active_cpu;          /* master CPU packing, sending, receiving,
                                   unpacking                                 */
    double poll_cpu;            /* master CPU of idle polls                  */
} zc_dispatch_traffic;

typedef struct zc_dispatch zc_dispatch; /* as in dispatch.h */

struct zc_dispatch {
    const zc_evolve_opts *o;
    volatile sig_atomic_t *stop;
    int n_workers;              /* ranks 1..n_workers                        */
    zc_evolve_meta_store store;
    int n_shards, n_bins;
    zc_shard *shards;
    int *shard_bin;
    int *worker_bin;            /* per worker (rank - 1)                     */
    int check_bin;              /* bin holding the probe architectures (the
                                   quick check runs there), -1: on rank 0   */
    int *inflight;              /* batches owed per worker                   */
    double *last_heard;         /* when it last answered (or got work idle)  */
    int64_t next_job;
    zc_recv_buf rbuf;
    zc_dispatch_traffic score;  /* shares, scores (and the final STOP)       */
    zc_dispatch_traffic check;  /* quick checks                              */
    long long programs;         /* programs scored (per bin counted once)    */
    long long checked;          /* programs quick-checked on workers         */
    double score_seconds;       /* wall time inside score()                  */
    double busy_mark_worker, busy_mark_time;
};

/* zc_dispatch_cpu_now: this thread's CPU seconds (master costs measured in
 * CPU time: wall time on a shared, oversubscribed machine counts other
 * processes). */
static inline double zc_dispatch_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- start (dispatch_start.c) ---------------------------------------------- */

/* zc_dispatch_start: zc_evolve_dist.start: the task meta, the share plan,
 * ASSIGN to every worker, then wait until every worker is READY. Returns
 * 0, 1 when stopped by a signal, or -1 with err. */
int zc_dispatch_start(void *ctx, zc_evolve_meta *meta, char *err, size_t errlen);

/* ---- job rounds (dispatch_round.c) ------------------------------------------- */

/* How a round sends programs and takes the answers. */
typedef struct {
    int send_tag, answer_tag;   /* ZC_TAG_WORK / RESULT or CHECK / CHECKED   */
    int only_bin;               /* -1: every batch to one worker of every
                                   bin; else to workers of that bin only    */
    int batch_size;             /* programs per message (>= 1)               */
    zc_dispatch_traffic *traffic;
    /* accept: the answer r of worker rank `rank` (holding bin) to the batch
     * of programs [p0, p0 + np); msg: the whole message, len bytes (header
     * included). Store it and return 0, or return -1 with err when it is
     * malformed. */
    int (*accept)(void *ctx, int rank, int bin, int p0, int np, const zc_msg_result *r,
                  const unsigned char *msg, size_t len, char *err, size_t errlen);
    void *ctx;
} zc_dispatch_round;

/* zc_dispatch_auto_batch: programs per message when n programs go to
 * `workers` workers: enough messages for ZC_DISPATCH_INFLIGHT x 2 per
 * worker, 1..256. */
int zc_dispatch_auto_batch(int n, int workers);

/* zc_dispatch_round_run: progs[0..n) cut into batches of round->batch_size
 * (job ids from d->next_job); each batch goes to one worker of each bin
 * concerned, at most ZC_DISPATCH_INFLIGHT outstanding per worker, the
 * emptiest workers first; answers go to round->accept. Returns 0 when
 * every answer was accepted, 1 when *d->stop was set, or -1 with err (a
 * worker's error, a refused answer, a worker silent for --worker-timeout
 * while owing an answer). On failure sends may still be pending: their
 * buffers are left allocated (the run ends). */
int zc_dispatch_round_run(zc_dispatch *d, const zc_dispatch_round *round, const zc_program *progs,
                          int n, char *err, size_t errlen);

/* ---- scores and checks (dispatch_score.c) ------------------------------------ */

/* zc_dispatch_score: zc_score_backend.score over the workers (see
 * master/gp/fitness.h). */
int zc_dispatch_score(void *ctx, const zc_program *progs, int n, double *const *scores,
                      char *err, size_t errlen);

/* zc_dispatch_validate: zc_evolve_dist.validate: the quick check on the
 * workers of the probe bin; 2 when no bin holds both probes (the master
 * then checks on its threads, the same verdicts). */
int zc_dispatch_validate(void *ctx, const zc_program *progs, int n, unsigned char *ok,
                         char *err, size_t errlen);

#endif
