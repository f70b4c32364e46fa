/* mpi_util.h: small MPI helpers shared by the master and the workers:
 * start-up only when launched by an MPI launcher (mpirun, srun), a die hook
 * that stops every rank after one message, and MPI_CHECK, which names the
 * failing call with its file and line. */
#ifndef ZC_MPI_UTIL_H
#define ZC_MPI_UTIL_H

#include <mpi.h>

/* MPI_CHECK(call): run an MPI call; on failure print one line naming the
 * call, the file, the line and MPI's error string, then stop every rank. */
#define MPI_CHECK(call)                                                          \
    do {                                                                         \
        int zc_mpi_rc_ = (call);                                                 \
        if (zc_mpi_rc_ != MPI_SUCCESS) zc_mpi_fail(zc_mpi_rc_, #call, __FILE__, __LINE__); \
    } while (0)

/* zc_mpi_fail: the failure path of MPI_CHECK. Never returns. */
void zc_mpi_fail(int rc, const char *call, const char *file, int line) __attribute__((noreturn));

/* zc_mpi_launched: 1 when this process was started by an MPI launcher
 * (Open MPI's mpirun, PMIx/PMI as under srun), 0 for a plain command line. */
int zc_mpi_launched(void);

/* zc_mpi_begin: (argc, argv may be NULL) MPI_Init with MPI_THREAD_SERIALIZED
 * (a statistics sink sends from computing threads, one at a time) when
 * launched under MPI
 * and not yet done; install the die hook (zc_die on any rank calls
 * MPI_Abort with its exit code, so every rank stops). *rank and *size: 0 and
 * 1 for a plain command line. Safe to call more than once. */
void zc_mpi_begin(int *argc, char ***argv, int *rank, int *size);

/* zc_mpi_end: MPI_Finalize when zc_mpi_begin initialised MPI; removes the
 * die hook. */
void zc_mpi_end(void);

/* zc_mpi_active: 1 between zc_mpi_begin (under a launcher) and zc_mpi_end. */
int zc_mpi_active(void);

/* zc_mpi_mute_stderr / zc_mpi_restore_stderr: send this rank's stdout and
 * stderr to /dev/null and back (workers parse the same command line as rank 0, which
 * alone reports its errors). A rank that dies while muted waits 2 s before
 * aborting the job, so that rank 0's message of the same failure is printed. */
void zc_mpi_mute_stderr(void);
void zc_mpi_restore_stderr(void);


/* ---- statistics records over the wire ------------------------------------- */
#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats.h"

/* zc_record_pack: serialise one architecture's statistics (identity,
 * accuracies, layers, every held tensor) into a malloc'd buffer after
 * `header` bytes left free for the caller; *len = header + record bytes. */
unsigned char *zc_record_pack(const zc_arch_stats *a, size_t header, size_t *len);

/* zc_record_unpack: rebuild *a (allocating; free with zc_arch_stats_free)
 * from len bytes made by zc_record_pack (without its header). Returns 0, or
 * -1 when the bytes are truncated or malformed. */
int zc_record_unpack(const unsigned char *buf, size_t len, zc_arch_stats *a);

/* zc_mpi_bcast_ints: rank 0's *n and (*values)[0..*n) to every rank;
 * other ranks get a malloc'd copy in *values (theirs is freed first). */
void zc_mpi_bcast_ints(int *n, int **values);


/* zc_mpi_gather_bytes: every rank's len bytes at data to rank 0, which gets
 * a malloc'd concatenation in rank order (*all) and each rank's length
 * (*lens, malloc'd, world size entries); other ranks get NULLs. */
void zc_mpi_gather_bytes(const void *data, int len, unsigned char **all, int **lens);

#endif
