/* dispatch_recv.h: rank 0's non-blocking receive of a message from any
 * worker into a growing buffer, shared by the evolve master and the
 * distributed statistics (rank 0 never blocks on a worker: it polls with
 * MPI_Iprobe, see common/mpi/mpi_protocol.h). */
#ifndef ZC_DISPATCH_RECV_H
#define ZC_DISPATCH_RECV_H

#include <stddef.h>

#include "common/mpi/mpi_util.h"

/* A receive buffer; {0} is empty. */
typedef struct {
    unsigned char *buf;
    size_t cap;
} zc_recv_buf;

/* zc_dispatch_recv: when a message with tag (MPI_ANY_TAG: any) from any
 * rank is waiting, receive it into b->buf (grown as needed, a NUL byte
 * after its len bytes), fill *st and *len and return 1; else return 0
 * without waiting. */
int zc_dispatch_recv(zc_recv_buf *b, int tag, MPI_Status *st, int *len);

/* zc_recv_buf_free: release b's buffer and empty it. */
void zc_recv_buf_free(zc_recv_buf *b);

#endif
