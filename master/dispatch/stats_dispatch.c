/* stats_dispatch.c: rank 0's side of the distributed statistics (see
 * stats_dispatch.h). */
#include "master/dispatch/stats_dispatch.h"

#include <stdio.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/util/util.h"
#include "master/dispatch/dispatch_recv.h"

int zc_dispatch_rows_of(const int *rows, int n, int rank, int ranks, int *out) {
    int m = 0;
    for (int i = rank; i < n; i += ranks) out[m++] = rows[i];
    return m;
}

/* take_record: one RECORD message (header h, len bytes in all) from rank
 * `source` handed to put. Returns 0; 1 with err when put failed (the
 * record counts as received); -1 with err when the message is an error
 * text or malformed (no record). */
static int take_record(const zc_msg_record *h, const unsigned char *msg, int len, int source,
                       int (*put)(void *ctx, zc_arch_stats *record, char *err, size_t errlen),
                       void *ctx, char *err, size_t errlen) {
    if (h->status != 0) {
        snprintf(err, errlen, "rank %d: %s", source, (const char *)msg + sizeof *h);
        return -1;
    }
    zc_arch_stats rec;
    if (zc_record_unpack(msg + sizeof *h, (size_t)len - sizeof *h, &rec) != 0) {
        snprintf(err, errlen, "rank %d sent a malformed statistics record", source);
        return -1;
    }
    int rc = put(ctx, &rec, err, errlen) != 0 ? 1 : 0;
    zc_arch_stats_free(&rec);
    return rc;
}

int zc_dispatch_records(int world_size, int expected, int progress,
                        int (*put)(void *ctx, zc_arch_stats *record, char *err, size_t errlen),
                        void *ctx, char *err, size_t errlen) {
    zc_recv_buf rb = {0};
    int done = 0, got = 0, rc = 0;
    double t0 = zc_now(), last = t0;
    while (done < world_size - 1) {
        MPI_Status st;
        int len;
        if (!zc_dispatch_recv(&rb, ZC_TAG_RECORD, &st, &len)) {
            zc_sleep_ns(200000);
            continue;
        }
        zc_msg_record h;
        memcpy(&h, rb.buf, sizeof h);
        if (h.index < 0) {
            done++;
            continue;
        }
        if (rc != 0) continue; /* after a failure: drain until all are done */
        int taken = take_record(&h, rb.buf, len, st.MPI_SOURCE, put, ctx, err, errlen);
        if (taken != 0) rc = -1;
        if (taken < 0) continue;
        got++;
        if (progress && zc_now() - last > 2) {
            last = zc_now();
            fprintf(stderr, "stats: %d/%d architectures from %d ranks (%.2f arch/s)\n", got,
                    expected, world_size - 1, got / (last - t0));
        }
    }
    zc_recv_buf_free(&rb);
    return rc;
}
