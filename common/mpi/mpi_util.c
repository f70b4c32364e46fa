/* mpi_util.c: MPI start-up, die hook and error checking (see mpi_util.h). */
#include "common/mpi/mpi_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/util.h"

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
    /* a muted rank failing on the shared command line: rank 0 fails the
     * same way and reports it; let it print before the job is aborted */
    if (g_saved_stderr >= 0) sleep(2);
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
        if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
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

/* ---- records ----------------------------------------------------------------- */

typedef struct {
    int32_t arch_index, n_acc, n_layers, str_len;
    double accuracy;
} record_head;

typedef struct {
    char name[96];
    int32_t c_in, c_out, kernel_h, kernel_w, stride, dilation, groups, stage, cell;
    uint32_t held; /* bit t: tensor t follows */
} layer_head;

typedef struct {
    int32_t ndim, pad;
    int64_t shape[ZC_MAX_DIMS];
} tensor_head;

unsigned char *zc_record_pack(const zc_arch_stats *a, size_t header, size_t *len) {
    size_t str_len = a->arch_str ? strlen(a->arch_str) : 0;
    size_t n = header + sizeof(record_head) + (size_t)a->n_acc * (32 + sizeof(double)) + str_len;
    for (int l = 0; l < a->n_layers; l++) {
        n += sizeof(layer_head);
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (a->layers[l].t[t].data)
                n += sizeof(tensor_head) +
                     sizeof(float) * (size_t)zc_tensor_numel(&a->layers[l].t[t]);
    }
    unsigned char *buf = zc_malloc(n), *p = buf + header;
    record_head h = {a->arch_index, a->n_acc, a->n_layers, (int32_t)str_len, a->accuracy};
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    for (int c = 0; c < a->n_acc; c++) {
        memcpy(p, a->acc_name[c], 32);
        memcpy(p + 32, &a->acc[c], sizeof(double));
        p += 32 + sizeof(double);
    }
    if (str_len) memcpy(p, a->arch_str, str_len);
    p += str_len;
    for (int l = 0; l < a->n_layers; l++) {
        const zc_layer_stats *L = &a->layers[l];
        layer_head lh;
        memset(&lh, 0, sizeof lh);
        memcpy(lh.name, L->name, sizeof lh.name);
        lh.c_in = L->c_in, lh.c_out = L->c_out, lh.kernel_h = L->kernel_h;
        lh.kernel_w = L->kernel_w, lh.stride = L->stride, lh.dilation = L->dilation;
        lh.groups = L->groups, lh.stage = L->stage, lh.cell = L->cell;
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (L->t[t].data) lh.held |= 1u << t;
        memcpy(p, &lh, sizeof lh);
        p += sizeof lh;
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            if (!L->t[t].data) continue;
            tensor_head th;
            memset(&th, 0, sizeof th);
            th.ndim = L->t[t].ndim;
            for (int d = 0; d < ZC_MAX_DIMS; d++) th.shape[d] = L->t[t].shape[d];
            memcpy(p, &th, sizeof th);
            p += sizeof th;
            size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(&L->t[t]);
            memcpy(p, L->t[t].data, bytes);
            p += bytes;
        }
    }
    *len = n;
    return buf;
}

int zc_record_unpack(const unsigned char *buf, size_t len, zc_arch_stats *a) {
    memset(a, 0, sizeof *a);
    const unsigned char *p = buf, *end = buf + len;
#define NEED(bytes)                                                              \
    do {                                                                         \
        if ((size_t)(end - p) < (size_t)(bytes)) goto bad;                       \
    } while (0)
    record_head h;
    NEED(sizeof h);
    memcpy(&h, p, sizeof h);
    p += sizeof h;
    if (h.n_acc < 0 || h.n_acc > ZC_MAX_ACC_COLUMNS || h.n_layers < 0 || h.str_len < 0)
        goto bad;
    a->arch_index = h.arch_index;
    a->accuracy = h.accuracy;
    a->n_acc = h.n_acc;
    for (int c = 0; c < h.n_acc; c++) {
        NEED(32 + sizeof(double));
        memcpy(a->acc_name[c], p, 32);
        a->acc_name[c][31] = 0;
        memcpy(&a->acc[c], p + 32, sizeof(double));
        p += 32 + sizeof(double);
    }
    NEED(h.str_len);
    a->arch_str = zc_malloc((size_t)h.str_len + 1);
    memcpy(a->arch_str, p, (size_t)h.str_len);
    a->arch_str[h.str_len] = 0;
    p += h.str_len;
    a->layers = zc_calloc((size_t)h.n_layers + 1, sizeof *a->layers);
    a->n_layers = h.n_layers;
    for (int l = 0; l < h.n_layers; l++) {
        zc_layer_stats *L = &a->layers[l];
        layer_head lh;
        NEED(sizeof lh);
        memcpy(&lh, p, sizeof lh);
        p += sizeof lh;
        memcpy(L->name, lh.name, sizeof L->name);
        L->name[sizeof L->name - 1] = 0;
        L->c_in = lh.c_in, L->c_out = lh.c_out, L->kernel_h = lh.kernel_h;
        L->kernel_w = lh.kernel_w, L->stride = lh.stride, L->dilation = lh.dilation;
        L->groups = lh.groups, L->stage = lh.stage, L->cell = lh.cell;
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            if (!(lh.held & (1u << t))) continue;
            tensor_head th;
            NEED(sizeof th);
            memcpy(&th, p, sizeof th);
            p += sizeof th;
            if (th.ndim < 0 || th.ndim > ZC_MAX_DIMS) goto bad;
            L->t[t].ndim = th.ndim;
            for (int d = 0; d < ZC_MAX_DIMS; d++) L->t[t].shape[d] = th.shape[d];
            int64_t numel = zc_tensor_numel(&L->t[t]);
            if (numel < 0) goto bad;
            NEED(sizeof(float) * (size_t)numel);
            L->t[t].data = zc_malloc(sizeof(float) * (size_t)numel + 1);
            memcpy(L->t[t].data, p, sizeof(float) * (size_t)numel);
            p += sizeof(float) * (size_t)numel;
        }
    }
#undef NEED
    return p == end ? 0 : -1;
bad:
    zc_arch_stats_free(a);
    return -1;
}

void zc_mpi_bcast_ints(int *n, int **values) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_CHECK(MPI_Bcast(n, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (rank != 0) {
        free(*values);
        *values = zc_malloc(sizeof(int) * (size_t)(*n + 1));
    }
    if (*n > 0) MPI_CHECK(MPI_Bcast(*values, *n, MPI_INT, 0, MPI_COMM_WORLD));
}

void zc_mpi_gather_bytes(const void *data, int len, unsigned char **all, int **lens) {
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *all = NULL;
    *lens = NULL;
    int *l = rank == 0 ? zc_malloc(sizeof(int) * (size_t)size) : NULL;
    MPI_CHECK(MPI_Gather(&len, 1, MPI_INT, l, 1, MPI_INT, 0, MPI_COMM_WORLD));
    int *displ = NULL;
    unsigned char *buf = NULL;
    if (rank == 0) {
        displ = zc_malloc(sizeof(int) * (size_t)size);
        size_t total = 0;
        for (int r = 0; r < size; r++) {
            displ[r] = (int)total;
            total += (size_t)l[r];
        }
        buf = zc_malloc(total + 1);
    }
    MPI_CHECK(MPI_Gatherv(data, len, MPI_BYTE, buf, l, displ, MPI_BYTE, 0, MPI_COMM_WORLD));
    free(displ);
    *all = buf;
    *lens = l;
}
