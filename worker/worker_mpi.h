/* worker_mpi.h: how a worker rank talks to rank 0 without spinning a core
 * (Open MPI's blocking calls busy-wait): waiting for the next message and
 * sending with sleeps between tests. Shared by the evolve worker loop and
 * the distributed statistics (common/mpi/mpi_protocol.h). */
#ifndef ZC_WORKER_MPI_H
#define ZC_WORKER_MPI_H

#include <stddef.h>

/* zc_worker_poll: wait (sleeping, not spinning) for a message from rank 0;
 * returns its tag and fills *len (bytes). */
int zc_worker_poll(int *len);

/* zc_worker_send: send len bytes at buf to rank 0 with tag, sleeping (not
 * spinning) until the send completes. */
void zc_worker_send(const void *buf, size_t len, int tag);

#endif
