/* worker_mpi.c: a worker rank's polling receive and sleeping send (see
 * worker_mpi.h). */
#include "worker/worker_mpi.h"

#include "common/mpi/mpi_util.h"
#include "common/util/util.h"

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

void zc_worker_send(const void *buf, size_t len, int tag) {
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
