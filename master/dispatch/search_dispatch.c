/* search_dispatch.c: rank 0 of a distributed `zcevo search` (see
 * search_dispatch.h). */
#include "master/dispatch/search_dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/util/util.h"

/* the largest ZC_TAG_SR_ASK message (header and an error text), + NUL */
#define ASK_BYTES (sizeof(zc_msg_search) + 1024 + 1)

/* recv_ask: the next ZC_TAG_SR_ASK message (header in *h, an error text
 * in text), its sender in *source; sleeps 1 ms while none is there.
 * Returns 1 when a message was read, 0 when none came, -1 with err when
 * it is malformed. */
static int recv_ask(zc_msg_search *h, char *text, int *source, char *err, size_t errlen) {
    int flag = 0, len = 0;
    MPI_Status st;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, ZC_TAG_SR_ASK, MPI_COMM_WORLD, &flag, &st));
    if (!flag) {
        zc_sleep_ns(1000000);
        return 0;
    }
    MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, &len));
    if (len < (int)sizeof *h || len > (int)ASK_BYTES - 1)
        return zc_fail(err, errlen, "rank %d sent a malformed search message (%d bytes)",
                       st.MPI_SOURCE, len);
    unsigned char buf[ASK_BYTES];
    MPI_CHECK(MPI_Recv(buf, len, MPI_BYTE, st.MPI_SOURCE, ZC_TAG_SR_ASK, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    buf[len] = 0;
    memcpy(h, buf, sizeof *h);
    size_t n = strnlen((const char *)buf + sizeof *h, 1023);
    memcpy(text, buf + sizeof *h, n);
    text[n] = 0;
    *source = st.MPI_SOURCE;
    return 1;
}

static void give(int source, int32_t row) {
    MPI_CHECK(MPI_Send(&row, 1, MPI_INT32_T, source, ZC_TAG_SR_GIVE, MPI_COMM_WORLD));
}

/* The rows of one round, sorted, with what became of each. */
typedef struct {
    int row;
    int received;
} round_row;

static int cmp_round_row(const void *a, const void *b) {
    return ((const round_row *)a)->row - ((const round_row *)b)->row;
}

/* accept_value: a worker's value of h->row, which must be a row of this
 * round not received yet, to done(). Returns 0, or -1 with err. */
static int accept_value(round_row *round, int n, int source, const zc_msg_search *h,
                        zc_search_done_fn done, void *done_ctx, char *err, size_t errlen) {
    round_row key = {h->row, 0};
    round_row *hit = bsearch(&key, round, (size_t)n, sizeof *round, cmp_round_row);
    if (!hit || hit->received)
        return zc_fail(err, errlen, "rank %d sent a value of row %d, which it was not given",
                       source, h->row);
    hit->received = 1;
    done(done_ctx, h->row, h->value);
    return 0;
}

static int score_round(void *self, const int *rows, int n, zc_search_done_fn done,
                       void *done_ctx, char *err, size_t errlen) {
    (void)self;
    round_row *round = zc_malloc(sizeof(round_row) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) round[i] = (round_row){rows[i], 0};
    qsort(round, (size_t)n, sizeof *round, cmp_round_row);
    int next = 0, received = 0, rc = 0;
    while (received < n && rc == 0) {
        zc_msg_search h;
        char text[1024];
        int source = 0;
        int got = recv_ask(&h, text, &source, err, errlen);
        if (got <= 0) {
            rc = got;
            continue;
        }
        if (h.status == 1) rc = zc_fail(err, errlen, "rank %d: %s", source, text);
        else if (h.status == 2)
            rc = zc_fail(err, errlen, "rank %d stopped before the search ended", source);
        else if (h.row >= 0 &&
                 (rc = accept_value(round, n, source, &h, done, done_ctx, err, errlen)) == 0)
            received++;
        if (rc == 0) give(source, next < n ? rows[next++] : ZC_SR_WAIT);
    }
    free(round);
    return rc;
}

zc_search_backend zc_search_dispatch_backend(zc_search_dispatch *d, int world_size) {
    d->world_size = world_size;
    zc_search_backend b = {score_round, d, ""};
    snprintf(b.where, sizeof b.where, "%d worker rank%s", world_size - 1,
             world_size == 2 ? "" : "s");
    return b;
}

int zc_search_dispatch_stop(zc_search_dispatch *d, char *err, size_t errlen) {
    int finished = 0;
    while (finished < d->world_size - 1) {
        zc_msg_search h;
        char text[1024];
        int source = 0;
        int got = recv_ask(&h, text, &source, err, errlen);
        if (got < 0) return -1;
        if (got == 0) continue;
        if (h.status == 1) return zc_fail(err, errlen, "rank %d: %s", source, text);
        if (h.status == 2) finished++;
        else give(source, ZC_SR_STOP);
    }
    return 0;
}
