/* stats_worker.c: a worker rank of the distributed statistics (see
 * stats_worker.h). */
#include "worker/stats_worker.h"

#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/stats/stats_job.h"
#include "common/util/util.h"
#include "worker/worker_mpi.h"

/* send_record: the stats job's sink: record rec (position i) to rank 0. */
static int send_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                       size_t errlen) {
    (void)ctx, (void)net, (void)err, (void)errlen;
    size_t len;
    unsigned char *buf = zc_record_pack(rec, sizeof(zc_msg_record), &len);
    zc_msg_record h = {i, 0, (int64_t)(len - sizeof h)};
    memcpy(buf, &h, sizeof h);
    zc_worker_send(buf, len, ZC_TAG_RECORD);
    free(buf);
    return 0;
}

/* send_failure: the error text err to rank 0 as a RECORD of status 1. */
static void send_failure(const char *err) {
    size_t len = sizeof(zc_msg_record) + strlen(err) + 1;
    unsigned char *buf = zc_calloc(len, 1);
    zc_msg_record h = {0, 1, (int64_t)(strlen(err) + 1)};
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, err, strlen(err) + 1);
    zc_worker_send(buf, len, ZC_TAG_RECORD);
    free(buf);
}

int zc_worker_records(const zc_task *task, zc_terminal_mask mask, const int *rows, int n,
                      int threads) {
    char err[1024] = "";
    zc_stats_job job = {.task = task, .mask = mask, .n_rows = n, .rows = rows,
                        .threads = threads, .progress = 0, .label = "stats",
                        .sink = send_record, .sink_ctx = NULL};
    int rc = n > 0 ? zc_stats_job_run(&job, err, sizeof err) : 0;
    if (rc != 0) send_failure(err);
    zc_msg_record done = {-1, 0, 0};
    zc_worker_send(&done, sizeof done, ZC_TAG_RECORD);
    return rc ? -1 : 0;
}
