/* proxies_dispatch.c: rank 0 of a distributed `zcevo proxies` (see
 * proxies_dispatch.h). */
#include "master/dispatch/proxies_dispatch.h"

#include <stdio.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/util/util.h"

/* the largest ZC_TAG_PX_ASK message (values, or an error text), + NUL */
#define ASK_BYTES (sizeof(zc_msg_px) + sizeof(double) * ZC_PX_COUNT + 1024 + 1)

typedef struct {
    int n_rows, n_todo, world_size, progress;
    double *values;
    zc_proxies_done_fn done;
    void *ctx;
    int received;
    double t0, last;
} dispatch_run;

/* recv_ask: the next ZC_TAG_PX_ASK message into buf (NUL-terminated), its
 * sender in *source and its length in *len; sleeps 1 ms while none is
 * there. Returns 1 when a message was read, 0 when none came, -1 with err
 * when it is malformed. */
static int recv_ask(unsigned char *buf, int *source, int *len, char *err, size_t errlen) {
    int flag = 0;
    MPI_Status st;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, ZC_TAG_PX_ASK, MPI_COMM_WORLD, &flag, &st));
    if (!flag) {
        zc_sleep_ns(1000000);
        return 0;
    }
    MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, len));
    if (*len < (int)sizeof(zc_msg_px) || *len > (int)ASK_BYTES - 1) {
        snprintf(err, errlen, "rank %d sent a malformed proxies message (%d bytes)",
                 st.MPI_SOURCE, *len);
        return -1;
    }
    MPI_CHECK(MPI_Recv(buf, *len, MPI_BYTE, st.MPI_SOURCE, ZC_TAG_PX_ASK, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    buf[*len] = 0;
    *source = st.MPI_SOURCE;
    return 1;
}

/* store_values: a worker's values of h.position into the table, to done()
 * and the progress line. Returns 0, or -1 with err (unknown position or
 * wrong length). */
static int store_values(dispatch_run *d, int source, zc_msg_px h, const unsigned char *payload,
                        int len, char *err, size_t errlen) {
    if (h.position >= d->n_rows || len != (int)(sizeof h + sizeof(double) * ZC_PX_COUNT)) {
        snprintf(err, errlen, "rank %d sent values of an unknown position %d", source,
                 h.position);
        return -1;
    }
    double *v = d->values + (size_t)h.position * ZC_PX_COUNT;
    memcpy(v, payload, sizeof(double) * ZC_PX_COUNT);
    if (d->done) d->done(d->ctx, h.position, v);
    d->received++;
    double now = zc_now();
    if (d->progress && (now - d->last > 2.0 || d->received == d->n_todo)) {
        d->last = now;
        char who[48];
        snprintf(who, sizeof who, " (%d worker ranks)", d->world_size - 1);
        zc_print_progress("proxies", d->received, d->n_todo, d->t0, who);
    }
    return 0;
}

int zc_proxies_dispatch(int n_rows, const int *todo, int n_todo, int world_size, int progress,
                        double *values, zc_proxies_done_fn done, void *ctx, char *err,
                        size_t errlen) {
    unsigned char buf[ASK_BYTES];
    dispatch_run d = {n_rows, n_todo, world_size, progress, values, done, ctx, 0, 0, 0};
    d.t0 = d.last = zc_now();
    int next_pos = 0, finished = 0;
    while (finished < world_size - 1) {
        int source = 0, len = 0;
        int got = recv_ask(buf, &source, &len, err, errlen);
        if (got < 0) return -1;
        if (got == 0) continue;
        zc_msg_px h;
        memcpy(&h, buf, sizeof h);
        if (h.status == 1) {
            snprintf(err, errlen, "rank %d: %s", source, (const char *)buf + sizeof h);
            return -1;
        }
        if (h.status == 2) {
            finished++;
            continue;
        }
        if (h.position >= 0 &&
            store_values(&d, source, h, buf + sizeof h, len, err, errlen) != 0)
            return -1;
        int32_t give = next_pos < n_todo ? todo[next_pos++] : -1;
        MPI_CHECK(MPI_Send(&give, 1, MPI_INT32_T, source, ZC_TAG_PX_GIVE, MPI_COMM_WORLD));
    }
    if (d.received != n_todo) {
        snprintf(err, errlen, "workers returned %d of %d architectures", d.received, n_todo);
        return -1;
    }
    return 0;
}
