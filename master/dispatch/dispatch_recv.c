/* dispatch_recv.c: rank 0's non-blocking receive (see dispatch_recv.h). */
#include "master/dispatch/dispatch_recv.h"

#include <stdlib.h>

#include "common/util/util.h"

int zc_dispatch_recv(zc_recv_buf *b, int tag, MPI_Status *st, int *len) {
    int flag = 0;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, st));
    if (!flag) return 0;
    MPI_CHECK(MPI_Get_count(st, MPI_BYTE, len));
    if ((size_t)*len + 1 > b->cap) {
        b->cap = (size_t)*len + 1;
        b->buf = zc_realloc(b->buf, b->cap);
    }
    MPI_CHECK(MPI_Recv(b->buf, *len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    b->buf[*len] = 0;
    return 1;
}

void zc_recv_buf_free(zc_recv_buf *b) {
    free(b->buf);
    b->buf = NULL;
    b->cap = 0;
}
