/* mpi_util.c: MPI start-up, die hook and error checking (see mpi_util.h). */
#include "common/mpi_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

static int g_initialised_here = 0;
static int g_saved_stderr = -1, g_saved_stdout = -1;

void zc_mpi_fail(int rc, const char *call, const char *file, int line) {
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    zc_die("MPI call %s failed at %s:%d: %s", call, file, line, msg);
}

int zc_mpi_launched(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < ZC_ARRAY_LEN(vars); i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static void abort_hook(int code) {
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code);
}

void zc_mpi_begin(int *argc, char ***argv, int *rank, int *size) {
    *rank = 0;
    *size = 1;
    int done = 0;
    MPI_Initialized(&done);
    if (!done) {
        if (!zc_mpi_launched()) return;
        int provided;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            zc_die("MPI_Init_thread failed");
        g_initialised_here = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    zc_set_die_hook(abort_hook);
}

void zc_mpi_end(void) {
    zc_set_die_hook(NULL);
    int done = 0;
    MPI_Finalized(&done);
    if (g_initialised_here && !done) MPI_Finalize();
    g_initialised_here = 0;
}

int zc_mpi_active(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

void zc_mpi_mute_stderr(void) {
    fflush(stdout);
    fflush(stderr);
    if (g_saved_stderr < 0) g_saved_stderr = dup(STDERR_FILENO);
    if (g_saved_stdout < 0) g_saved_stdout = dup(STDOUT_FILENO);
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
}

void zc_mpi_restore_stderr(void) {
    fflush(stdout);
    fflush(stderr);
    if (g_saved_stderr >= 0) {
        dup2(g_saved_stderr, STDERR_FILENO);
        close(g_saved_stderr);
        g_saved_stderr = -1;
    }
    if (g_saved_stdout >= 0) {
        dup2(g_saved_stdout, STDOUT_FILENO);
        close(g_saved_stdout);
        g_saved_stdout = -1;
    }
}
