/* stats_h5.c: the HDF5 statistics cache (contract: stats_h5.h, schema:
 * docs/stats_schema.md).
 *
 * Layout: root attributes hold the configuration, /inputs the three network
 * inputs and the labels, /archs/NNNNNN one group per architecture with one
 * group per RCB block under layers/ and the stored terminals as float32
 * datasets. Writers work on "<path>.partial" (see stats_h5.h for the resume
 * rules); every HDF5 failure becomes one error line naming the file and the
 * innermost HDF5 message (the automatic HDF5 error printing is switched off).
 */
#include "common/stats/stats_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/util.h"

#ifndef ZCEVO_VERSION_STRING
#define ZCEVO_VERSION_STRING "0.1.0"
#endif

#define STATS_FORMAT "zcevo-stats"
#define STATS_FORMAT_VERSION 1
#define ARCH_NAME_DIGITS 6
#define MAX_LAYERS 1000 /* layer groups are named with 3 digits */

/* ---- error capture --------------------------------------------------------
 * g_problem holds the text of the last failure: either the innermost message
 * of the HDF5 error stack (captured right after the failing call, before any
 * other API call clears the stack) or a message set by set_problem(). Serial
 * HDF5 is not thread-safe, so neither is this module. */
static char g_problem[512];

typedef struct {
    char innermost[256];
    char api_func[64];
} h5_walk_result;

static herr_t walk_error_stack(unsigned n, const H5E_error2_t *e, void *data) {
    h5_walk_result *r = data;
    if (n == 0) snprintf(r->innermost, sizeof r->innermost, "%s", e->desc ? e->desc : "");
    snprintf(r->api_func, sizeof r->api_func, "%s", e->func_name ? e->func_name : "");
    return 0;
}

static void set_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_problem(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_problem, sizeof g_problem, fmt, ap);
    va_end(ap);
}

/* h5_capture: record the failed call and the HDF5 stack's innermost message. */
static void h5_capture(const char *call_text) {
    h5_walk_result r = {{0}, {0}};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_error_stack, &r);
    if (r.innermost[0])
        set_problem("%s (HDF5 %s, in %s)", r.innermost, r.api_func, call_text);
    else
        set_problem("HDF5 call failed: %s", call_text);
}

/* H5_TRY: like H5_CHECK (common/h5check.h) but silent: the failure text goes
 * to g_problem so that the user sees one line naming the file. */
#define H5_TRY(call)                                                             \
    do {                                                                         \
        if ((call) < 0) {                                                        \
            h5_capture(#call);                                                   \
            goto fail;                                                           \
        }                                                                        \
    } while (0)

/* A failure that is not an HDF5 call: set the text and jump to fail. */
#define FAIL_WITH(...)                                                           \
    do {                                                                         \
        set_problem(__VA_ARGS__);                                                \
        goto fail;                                                               \
    } while (0)

static void quiet_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* has_hdf5_signature: 1 when path carries the HDF5 signature (no open, no
 * lock taken), 0 otherwise. */
static int has_hdf5_signature(const char *path) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Fis_accessible(path, H5P_DEFAULT) > 0;
#else
    return H5Fis_hdf5(path) > 0;
#endif
}

static int problem_is_lock_failure(void) {
    return strstr(g_problem, "unable to lock file") != NULL;
}

static void close_id(hid_t id) {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

/* ---- property lists ------------------------------------------------------ */

/* file_access_plist: new-style groups and attributes (format of HDF5 1.8 and
 * later: files a third smaller than with the earliest format; the low bound
 * stays at 1.8 so that superblock v2 is used: a writer that crashed leaves
 * no "file is already open for write" flag behind, so the .partial file can
 * be resumed without h5clear). Objects are evicted from the metadata cache
 * when closed: every object is visited once, and a small cache makes both
 * writing and reading about twice as fast (measured in tests/test_stats_h5.c).
 * File locking stays on but is ignored on file systems without flock
 * (Lustre, some NFS). */
static hid_t file_access_plist(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG); /* close really closes */
#if H5_VERSION_GE(1, 10, 1)
    H5Pset_evict_on_close(fapl, 1);
#endif
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl, 1, 1);
#endif
    return fapl;
}

/* group_create_plist: attributes kept in the object header (compact) up to
 * max_compact, creation order tracked (acc_* columns keep their order), no
 * timestamps (same input, same bytes). */
static hid_t group_create_plist(unsigned max_compact, int track_order) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0) return -1;
    H5Pset_attr_phase_change(gcpl, max_compact, max_compact > 2 ? max_compact - 2 : 0);
    if (track_order) H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED);
    H5Pset_obj_track_times(gcpl, 0);
    return gcpl;
}

/* dataset_create_plist: contiguous layout, no timestamps. */
static hid_t dataset_create_plist(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return -1;
    H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

/* ---- attributes ---------------------------------------------------------- */

static hid_t g_vlen_utf8 = -1;

/* vlen_utf8: the variable-length UTF-8 string type (h5py reads it as str). */
static hid_t vlen_utf8(void) {
    if (g_vlen_utf8 < 0 || H5Iis_valid(g_vlen_utf8) <= 0) {
        g_vlen_utf8 = H5Tcopy(H5T_C_S1);
        H5Tset_size(g_vlen_utf8, H5T_VARIABLE);
        H5Tset_cset(g_vlen_utf8, H5T_CSET_UTF8);
    }
    return g_vlen_utf8;
}

static herr_t attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                         const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0) return -1;
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : H5Awrite(a, mem_type, value);
    if (a >= 0 && H5Aclose(a) < 0) r = -1;
    H5Sclose(space);
    return r;
}

static herr_t attr_write_int(hid_t obj, const char *name, int v) {
    return attr_write(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}
static herr_t attr_write_u64(hid_t obj, const char *name, uint64_t v) {
    return attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}
static herr_t attr_write_double(hid_t obj, const char *name, double v) {
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}
static herr_t attr_write_str(hid_t obj, const char *name, const char *s) {
    const char *value = s ? s : "";
    return attr_write(obj, name, vlen_utf8(), vlen_utf8(), &value);
}

static herr_t attr_read(hid_t obj, const char *name, hid_t mem_type, void *value) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t r = H5Aread(a, mem_type, value);
    H5Aclose(a);
    return r;
}
static herr_t attr_read_int(hid_t obj, const char *name, int *v) {
    return attr_read(obj, name, H5T_NATIVE_INT, v);
}
static herr_t attr_read_u64(hid_t obj, const char *name, uint64_t *v) {
    return attr_read(obj, name, H5T_NATIVE_UINT64, v);
}
static herr_t attr_read_double(hid_t obj, const char *name, double *v) {
    return attr_read(obj, name, H5T_NATIVE_DOUBLE, v);
}

/* attr_read_str_dup: a string attribute (variable or fixed length) as a
 * malloc'd string, or NULL on failure. */
static char *attr_read_str_dup(hid_t obj, const char *name) {
    char *result = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t ft = H5Aget_type(a);
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) goto done;
    if (H5Tis_variable_str(ft) > 0) {
        char *p = NULL;
        if (H5Aread(a, vlen_utf8(), &p) >= 0) {
            result = zc_strdup(p ? p : "");
            H5free_memory(p);
        }
    } else {
        size_t size = H5Tget_size(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, size + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        char *buf = zc_calloc(size + 1, 1);
        if (H5Aread(a, mt, buf) >= 0) result = buf;
        else free(buf);
        H5Tclose(mt);
    }
done:
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return result;
}

/* attr_read_str: into a fixed buffer; longer values are an error. */
static herr_t attr_read_str(hid_t obj, const char *name, char *buf, size_t n) {
    char *s = attr_read_str_dup(obj, name);
    if (!s) return -1;
    size_t len = strlen(s);
    if (len >= n) {
        free(s);
        return -1;
    }
    memcpy(buf, s, len + 1);
    free(s);
    return 0;
}

/* ---- configuration ------------------------------------------------------- */

static void terminal_list_string(zc_terminal_mask mask, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = 0;
    for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
        if (!(mask & (1u << id))) continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", zc_terminal_name(id));
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
}

static herr_t config_write(hid_t file, const zc_stats_config *c) {
    char terminals[512];
    terminal_list_string(c->terminals, terminals, sizeof terminals);
    H5_TRY(attr_write_str(file, "format", STATS_FORMAT));
    H5_TRY(attr_write_int(file, "format_version", STATS_FORMAT_VERSION));
    H5_TRY(attr_write_str(file, "zcevo_version", ZCEVO_VERSION_STRING));
    H5_TRY(attr_write_str(file, "space", c->space));
    H5_TRY(attr_write_str(file, "dataset", c->dataset));
    H5_TRY(attr_write_int(file, "batch", c->batch));
    H5_TRY(attr_write_u64(file, "seed", c->seed));
    H5_TRY(attr_write_str(file, "terminals", terminals));
    H5_TRY(attr_write_int(file, "store_params", c->store_params));
    H5_TRY(attr_write_int(file, "num_classes", c->num_classes));
    H5_TRY(attr_write_int(file, "image_h", c->image_h));
    H5_TRY(attr_write_int(file, "image_w", c->image_w));
    H5_TRY(attr_write_str(file, "accuracy_column", c->accuracy_column));
    H5_TRY(attr_write_str(file, "image_source", c->image_source));
    return 0;
fail:
    return -1;
}

/* config_read: the configuration in the root attributes of an open file.
 * Returns -1 with g_problem set when the file is not a zcevo stats file. */
static int config_read(hid_t file, zc_stats_config *c) {
    memset(c, 0, sizeof *c);
    char format[64] = "", terminals[512] = "", bad[64];
    int version = 0;
    if (H5Aexists(file, "format") <= 0 || attr_read_str(file, "format", format, sizeof format) < 0 ||
        strcmp(format, STATS_FORMAT) != 0)
        FAIL_WITH("not a zcevo stats file (no root attribute format=\"%s\")", STATS_FORMAT);
    H5_TRY(attr_read_int(file, "format_version", &version));
    if (version != STATS_FORMAT_VERSION)
        FAIL_WITH("stats format version %d, this zcevo reads version %d", version,
                  STATS_FORMAT_VERSION);
    H5_TRY(attr_read_str(file, "space", c->space, sizeof c->space));
    H5_TRY(attr_read_str(file, "dataset", c->dataset, sizeof c->dataset));
    H5_TRY(attr_read_int(file, "batch", &c->batch));
    H5_TRY(attr_read_u64(file, "seed", &c->seed));
    H5_TRY(attr_read_str(file, "terminals", terminals, sizeof terminals));
    H5_TRY(attr_read_int(file, "store_params", &c->store_params));
    H5_TRY(attr_read_int(file, "num_classes", &c->num_classes));
    H5_TRY(attr_read_int(file, "image_h", &c->image_h));
    H5_TRY(attr_read_int(file, "image_w", &c->image_w));
    H5_TRY(attr_read_str(file, "accuracy_column", c->accuracy_column, sizeof c->accuracy_column));
    H5_TRY(attr_read_str(file, "image_source", c->image_source, sizeof c->image_source));
    c->terminals = 0;
    if (terminals[0] && zc_terminal_parse_list(terminals, &c->terminals, bad) != 0)
        FAIL_WITH("unknown terminal '%s' in the root attribute 'terminals'", bad);
    return 0;
fail:
    return -1;
}

const char *zc_stats_config_diff(const zc_stats_config *a, const zc_stats_config *b) {
    if (strcmp(a->space, b->space) != 0) return "space";
    if (strcmp(a->dataset, b->dataset) != 0) return "dataset";
    if (a->batch != b->batch) return "batch";
    if (a->seed != b->seed) return "seed";
    if (a->terminals != b->terminals) return "terminals";
    if (a->store_params != b->store_params) return "store_params";
    if (a->num_classes != b->num_classes) return "num_classes";
    if (a->image_h != b->image_h) return "image_h";
    if (a->image_w != b->image_w) return "image_w";
    if (strcmp(a->accuracy_column, b->accuracy_column) != 0) return "accuracy_column";
    if (strcmp(a->image_source, b->image_source) != 0) return "image_source";
    return NULL;
}

/* config_field_text: the value of one field of c as text. */
static void config_field_text(const zc_stats_config *c, const char *field, char *buf, size_t n) {
    if (!strcmp(field, "space")) snprintf(buf, n, "%s", c->space);
    else if (!strcmp(field, "dataset")) snprintf(buf, n, "%s", c->dataset);
    else if (!strcmp(field, "batch")) snprintf(buf, n, "%d", c->batch);
    else if (!strcmp(field, "seed")) snprintf(buf, n, "%llu", (unsigned long long)c->seed);
    else if (!strcmp(field, "terminals")) terminal_list_string(c->terminals, buf, n);
    else if (!strcmp(field, "store_params")) snprintf(buf, n, "%d", c->store_params);
    else if (!strcmp(field, "num_classes")) snprintf(buf, n, "%d", c->num_classes);
    else if (!strcmp(field, "image_h")) snprintf(buf, n, "%d", c->image_h);
    else if (!strcmp(field, "image_w")) snprintf(buf, n, "%d", c->image_w);
    else if (!strcmp(field, "accuracy_column")) snprintf(buf, n, "%s", c->accuracy_column);
    else snprintf(buf, n, "\"%s\"", c->image_source);
}

/* config_mismatch_message: "existing output 'x' was made with batch=1, this
 * run has batch=16; use another --out". */
static void config_mismatch_message(const char *what, const char *path,
                                    const zc_stats_config *existing,
                                    const zc_stats_config *wanted, const char *field,
                                    char *err, size_t errlen) {
    char have[512], want[512];
    config_field_text(existing, field, have, sizeof have);
    config_field_text(wanted, field, want, sizeof want);
    snprintf(err, errlen, "%s '%s' was made with %s=%s, this run has %s=%s; use another --out%s",
             what, path, field, have, field, want,
             strstr(what, "partial") ? " or delete that file" : "");
}

/* open_stats_file: H5Fopen with our access list; on failure g_problem holds
 * the reason (a lock held by another process is called out). */
static hid_t open_stats_file(const char *path, unsigned flags) {
    hid_t fapl = file_access_plist();
    hid_t file = -1;
    H5_TRY(fapl);
    H5_TRY(file = H5Fopen(path, flags, fapl));
    H5Pclose(fapl);
    return file;
fail:
    close_id(fapl);
    if (problem_is_lock_failure()) {
        char inner[sizeof g_problem];
        snprintf(inner, sizeof inner, "%s", g_problem);
        set_problem("the file is locked by another process (is another zcevo run writing "
                    "it? On a file system where locks are stale, set "
                    "HDF5_USE_FILE_LOCKING=FALSE): %.300s",
                    inner);
    }
    return -1;
}

/* ---- writer -------------------------------------------------------------- */

struct zc_stats_writer {
    char *path;                /* final output                               */
    char *partial;             /* <path>.partial, the file being written     */
    zc_stats_config cfg;
    hid_t file, archs;
    hid_t gcpl_arch, gcpl_layer, gcpl_plain, dcpl;
    unsigned char *complete;   /* complete[arch_index]: 1 when complete      */
    int complete_cap;
};

static void mark_complete(zc_stats_writer *w, int arch_index) {
    if (arch_index >= w->complete_cap) {
        int cap = ZC_MAX(arch_index + 1, 2 * w->complete_cap + 64);
        w->complete = zc_realloc(w->complete, (size_t)cap);
        memset(w->complete + w->complete_cap, 0, (size_t)(cap - w->complete_cap));
        w->complete_cap = cap;
    }
    w->complete[arch_index] = 1;
}

int zc_stats_writer_is_complete(zc_stats_writer *w, int arch_index) {
    return arch_index >= 0 && arch_index < w->complete_cap && w->complete[arch_index];
}

/* is_complete_group: 1 when the group carries complete=1. */
static int is_complete_group(hid_t g) {
    int flag = 0;
    if (H5Aexists(g, "complete") <= 0) return 0;
    if (attr_read_int(g, "complete", &flag) < 0) return 0;
    return flag == 1;
}

/* parse_arch_name: arch index from "NNNNNN", -1 when the name is not one. */
static int parse_arch_name(const char *name) {
    if (strlen(name) != ARCH_NAME_DIGITS) return -1;
    int v = 0;
    for (int i = 0; i < ARCH_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

typedef struct {
    zc_stats_writer *w;
    char (*incomplete)[ARCH_NAME_DIGITS + 1];
    int n_incomplete, cap_incomplete;
} scan_state;

static herr_t scan_arch_cb(hid_t archs, const char *name, const H5L_info_t *info, void *data) {
    (void)info;
    scan_state *s = data;
    int index = parse_arch_name(name);
    if (index < 0) return 0; /* not ours: leave it */
    hid_t g = H5Gopen2(archs, name, H5P_DEFAULT);
    if (g < 0) return -1;
    int complete = is_complete_group(g);
    H5Gclose(g);
    if (complete) {
        mark_complete(s->w, index);
    } else {
        if (s->n_incomplete == s->cap_incomplete) {
            s->cap_incomplete = 2 * s->cap_incomplete + 8;
            s->incomplete = zc_realloc(s->incomplete,
                                       (size_t)s->cap_incomplete * sizeof *s->incomplete);
        }
        snprintf(s->incomplete[s->n_incomplete++], ARCH_NAME_DIGITS + 1, "%s", name);
    }
    return 0;
}

/* scan_archs: note the complete archs, delete incomplete groups (they are
 * rewritten when their arch comes again). Returns 0 or -1 (g_problem). */
static int scan_archs(zc_stats_writer *w) {
    scan_state s = {w, NULL, 0, 0};
    hsize_t idx = 0;
    H5_TRY(H5Literate(w->archs, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, scan_arch_cb, &s));
    for (int i = 0; i < s.n_incomplete; i++)
        H5_TRY(H5Ldelete(w->archs, s.incomplete[i], H5P_DEFAULT));
    if (s.n_incomplete) H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    free(s.incomplete);
    return 0;
fail:
    free(s.incomplete);
    return -1;
}

/* copy_file: byte copy src -> dst (created or truncated). 0 or -1 (g_problem). */
static int copy_file(const char *src, const char *dst) {
    int in = open(src, O_RDONLY), out = -1;
    char *buf = NULL;
    if (in < 0) FAIL_WITH("cannot read '%s': %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) FAIL_WITH("cannot create '%s': %s", dst, strerror(errno));
    buf = zc_malloc(1 << 20);
    for (;;) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0) FAIL_WITH("cannot read '%s': %s", src, strerror(errno));
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t m = write(out, buf + done, (size_t)(n - done));
            if (m < 0) FAIL_WITH("cannot write '%s': %s", dst, strerror(errno));
            done += m;
        }
    }
    free(buf);
    buf = NULL;
    close(in);
    if (close(out) != 0) {
        out = -1;
        FAIL_WITH("cannot write '%s': %s", dst, strerror(errno));
    }
    return 0;
fail:
    free(buf);
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    unlink(dst);
    return -1;
}

/* check_existing_output: <path> exists; it must be a zcevo stats file of the
 * same configuration. Opens it read-only, touches nothing. */
static int check_existing_output(const char *path, const zc_stats_config *cfg, char *err,
                                 size_t errlen) {
    zc_stats_config have;
    if (!has_hdf5_signature(path)) {
        snprintf(err, errlen,
                 "existing output '%s' is not an HDF5 file (not a zcevo stats file); "
                 "refusing to overwrite it; use another --out",
                 path);
        return -1;
    }
    hid_t file = open_stats_file(path, H5F_ACC_RDONLY);
    if (file < 0) {
        snprintf(err, errlen, "cannot open existing output '%s': %s", path, g_problem);
        return -1;
    }
    int r = config_read(file, &have);
    H5Fclose(file);
    if (r < 0) {
        snprintf(err, errlen, "existing output '%s': %s; refusing to overwrite it; use another --out",
                 path, g_problem);
        return -1;
    }
    const char *field = zc_stats_config_diff(&have, cfg);
    if (field) {
        config_mismatch_message("existing output", path, &have, cfg, field, err, errlen);
        return -1;
    }
    return 0;
}

/* open_partial: try to resume <path>.partial. Returns 0 with w->file and
 * w->archs open, 1 when the file is corrupt (caller warns and starts anew),
 * -1 on an error the user must resolve (other config, locked). */
static int open_partial(zc_stats_writer *w, char *err, size_t errlen) {
    zc_stats_config have;
    /* A file we may not write is the user's to sort out, never "corrupt". */
    int fd = open(w->partial, O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot resume '%s': %s", w->partial, strerror(errno));
        return -1;
    }
    close(fd);
    if (!has_hdf5_signature(w->partial)) {
        set_problem("not an HDF5 file");
        return 1;
    }
    w->file = open_stats_file(w->partial, H5F_ACC_RDWR);
    if (w->file < 0) {
        if (problem_is_lock_failure()) {
            snprintf(err, errlen, "cannot resume '%s': %s", w->partial, g_problem);
            return -1;
        }
        return 1;
    }
    if (config_read(w->file, &have) < 0) goto corrupt;
    const char *field = zc_stats_config_diff(&have, &w->cfg);
    if (field) {
        config_mismatch_message("existing partial output", w->partial, &have, &w->cfg, field, err,
                                errlen);
        H5Fclose(w->file);
        w->file = -1;
        return -1;
    }
    w->archs = H5Gopen2(w->file, "archs", H5P_DEFAULT);
    if (w->archs < 0) {
        h5_capture("H5Gopen2(file, \"archs\")");
        goto corrupt;
    }
    if (scan_archs(w) < 0) goto corrupt;
    return 0;
corrupt:
    close_id(w->archs);
    close_id(w->file);
    w->archs = w->file = -1;
    if (w->complete) memset(w->complete, 0, (size_t)w->complete_cap);
    return 1;
}

/* create_partial: a fresh <path>.partial holding the configuration. */
static int create_partial(zc_stats_writer *w, char *err, size_t errlen) {
    hid_t fapl = -1, fcpl = -1;
    /* Probe with open(2) so that an unwritable folder reads as one line with
     * the system's reason. */
    int fd = open(w->partial, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create stats file '%s': %s", w->partial, strerror(errno));
        return -1;
    }
    close(fd);
    H5_TRY(fapl = file_access_plist());
    H5_TRY(fcpl = H5Pcreate(H5P_FILE_CREATE));
    H5_TRY(H5Pset_obj_track_times(fcpl, 0)); /* root group without timestamps */
    H5_TRY(w->file = H5Fcreate(w->partial, H5F_ACC_TRUNC, fcpl, fapl));
    H5_TRY(config_write(w->file, &w->cfg));
    H5_TRY(w->archs = H5Gcreate2(w->file, "archs", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    H5Pclose(fapl);
    H5Pclose(fcpl);
    return 0;
fail:
    close_id(fapl);
    close_id(fcpl);
    close_id(w->archs);
    close_id(w->file);
    w->archs = w->file = -1;
    unlink(w->partial);
    snprintf(err, errlen, "cannot create stats file '%s': %s", w->partial, g_problem);
    return -1;
}

static void writer_free(zc_stats_writer *w) {
    if (!w) return;
    close_id(w->archs);
    close_id(w->file);
    close_id(w->gcpl_arch);
    close_id(w->gcpl_layer);
    close_id(w->gcpl_plain);
    close_id(w->dcpl);
    free(w->path);
    free(w->partial);
    free(w->complete);
    free(w);
}

zc_stats_writer *zc_stats_writer_open(const char *path, const zc_stats_config *cfg, char *err,
                                      size_t errlen) {
    quiet_hdf5();
    zc_stats_writer *w = zc_calloc(1, sizeof *w);
    w->file = w->archs = -1;
    w->gcpl_arch = w->gcpl_layer = w->gcpl_plain = w->dcpl = -1;
    w->path = zc_strdup(path);
    w->partial = zc_malloc(strlen(path) + sizeof ".partial");
    sprintf(w->partial, "%s.partial", path);
    w->cfg = *cfg;
    w->gcpl_arch = group_create_plist(8 + 2 * ZC_MAX_ACC_COLUMNS, 1);
    w->gcpl_layer = group_create_plist(16, 0);
    w->gcpl_plain = group_create_plist(8, 0);
    w->dcpl = dataset_create_plist();
    if (w->gcpl_arch < 0 || w->gcpl_layer < 0 || w->gcpl_plain < 0 || w->dcpl < 0) {
        snprintf(err, errlen, "stats file '%s': cannot create HDF5 property lists", path);
        goto fail;
    }

    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "output '%s' exists and is not a regular file; use another --out",
                 path);
        goto fail;
    }
    int have_final = zc_file_exists(path);
    if (have_final && check_existing_output(path, cfg, err, errlen) != 0) goto fail;

    if (zc_file_exists(w->partial)) {
        int r = open_partial(w, err, errlen);
        if (r < 0) goto fail;
        if (r == 1) {
            zc_warn("cannot resume '%s' (%s); starting it again from %s", w->partial, g_problem,
                    have_final ? path : "scratch");
            if (unlink(w->partial) != 0) {
                snprintf(err, errlen, "cannot remove corrupt '%s': %s", w->partial,
                         strerror(errno));
                goto fail;
            }
        }
    }
    if (w->file < 0 && have_final) {
        if (copy_file(path, w->partial) != 0) {
            snprintf(err, errlen, "%s", g_problem);
            goto fail;
        }
        int r = open_partial(w, err, errlen);
        if (r != 0) {
            if (r == 1)
                snprintf(err, errlen, "cannot extend existing output '%s': %s", path, g_problem);
            unlink(w->partial);
            goto fail;
        }
    }
    if (w->file < 0 && create_partial(w, err, errlen) != 0) goto fail;
    return w;
fail:
    writer_free(w);
    return NULL;
}

/* write_float_dataset: one float32 dataset at the tensor's shape. */
static herr_t write_float_dataset(hid_t loc, const char *name, const zc_tensor *t, hid_t dcpl) {
    hsize_t dims[ZC_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) dims[i] = (hsize_t)t->shape[i];
    hid_t space = t->ndim ? H5Screate_simple(t->ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    if (space < 0) return -1;
    hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data);
    if (d >= 0 && H5Dclose(d) < 0) r = -1;
    H5Sclose(space);
    return r;
}

static herr_t write_input(hid_t g, const char *name, hid_t file_type, hid_t mem_type, int ndim,
                          const hsize_t *dims, const void *values, hid_t dcpl) {
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    if (space < 0) return -1;
    hid_t d = H5Dcreate2(g, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    if (d >= 0 && H5Dclose(d) < 0) r = -1;
    H5Sclose(space);
    return r;
}

/* input_matches: 1 when dataset g/name holds exactly `bytes` of `values`. */
static int input_matches(hid_t g, const char *name, hid_t mem_type, size_t elem, hsize_t count,
                         const void *values) {
    int same = 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t space = H5Dget_space(d);
    if (space >= 0 && (hsize_t)H5Sget_simple_extent_npoints(space) == count) {
        void *buf = zc_malloc(elem * count);
        if (H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)
            same = memcmp(buf, values, elem * count) == 0;
        free(buf);
    }
    close_id(space);
    H5Dclose(d);
    return same;
}

int zc_stats_writer_put_inputs(zc_stats_writer *w, const float *data, const float *noise,
                               const float *perturb, const int *labels, char *err,
                               size_t errlen) {
    quiet_hdf5();
    const zc_stats_config *c = &w->cfg;
    hsize_t dims[4] = {(hsize_t)c->batch, 3, (hsize_t)c->image_h, (hsize_t)c->image_w};
    hsize_t count = dims[0] * dims[1] * dims[2] * dims[3];
    const char *names[3] = {"data", "noise", "perturb"};
    const float *values[3] = {data, noise, perturb};
    hid_t g = -1;
    htri_t exists = H5Lexists(w->file, "inputs", H5P_DEFAULT);
    H5_TRY(exists);
    if (exists) {
        /* A writer killed while writing the inputs leaves some of them out:
         * write them again. */
        int all = 1;
        H5_TRY(g = H5Gopen2(w->file, "inputs", H5P_DEFAULT));
        for (int i = 0; i < 4; i++)
            all &= H5Lexists(g, i < 3 ? names[i] : "labels", H5P_DEFAULT) > 0;
        H5Gclose(g);
        g = -1;
        if (!all) {
            H5_TRY(H5Ldelete(w->file, "inputs", H5P_DEFAULT));
            exists = 0;
        }
    }
    if (exists) {
        H5_TRY(g = H5Gopen2(w->file, "inputs", H5P_DEFAULT));
        for (int i = 0; i < 3; i++)
            if (!input_matches(g, names[i], H5T_NATIVE_FLOAT, sizeof(float), count, values[i])) {
                snprintf(err, errlen,
                         "stats file '%s': the stored input '%s' differs from this run's "
                         "(different data or code version); use another --out",
                         w->partial, names[i]);
                H5Gclose(g);
                return -1;
            }
        if (!input_matches(g, "labels", H5T_NATIVE_INT, sizeof(int), dims[0], labels)) {
            snprintf(err, errlen,
                     "stats file '%s': the stored input 'labels' differs from this run's; use "
                     "another --out",
                     w->partial);
            H5Gclose(g);
            return -1;
        }
        H5Gclose(g);
        return 0;
    }
    H5_TRY(g = H5Gcreate2(w->file, "inputs", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    for (int i = 0; i < 3; i++)
        H5_TRY(write_input(g, names[i], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, dims, values[i],
                           w->dcpl));
    H5_TRY(write_input(g, "labels", H5T_STD_I32LE, H5T_NATIVE_INT, 1, dims, labels, w->dcpl));
    H5_TRY(H5Gclose(g));
    g = -1;
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    return 0;
fail:
    close_id(g);
    snprintf(err, errlen, "cannot write inputs to '%s': %s", w->partial, g_problem);
    return -1;
}

/* check_arch_record: every stored terminal present in every layer, shapes
 * and counts in range. */
static int check_arch_record(const zc_stats_writer *w, const zc_arch_stats *a, char *err,
                             size_t errlen) {
    if (a->arch_index < 0 || a->arch_index > 999999) {
        snprintf(err, errlen, "stats file '%s': arch index %d out of range 0..999999", w->partial,
                 a->arch_index);
        return -1;
    }
    if (a->n_layers < 0 || a->n_layers >= MAX_LAYERS || a->n_acc < 0 ||
        a->n_acc > ZC_MAX_ACC_COLUMNS) {
        snprintf(err, errlen, "stats file '%s': arch %d has %d layers and %d accuracy columns "
                 "(at most %d and %d)", w->partial, a->arch_index, a->n_layers, a->n_acc,
                 MAX_LAYERS - 1, ZC_MAX_ACC_COLUMNS);
        return -1;
    }
    for (int l = 0; l < a->n_layers; l++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
            if (!(w->cfg.terminals & (1u << id))) continue;
            const zc_tensor *t = &a->layers[l].t[id];
            if (!t->data || t->ndim < 0 || t->ndim > ZC_MAX_DIMS) {
                snprintf(err, errlen,
                         "stats file '%s': arch %d layer %d (%s): terminal '%s' is missing "
                         "but the run stores it",
                         w->partial, a->arch_index, l, a->layers[l].name, zc_terminal_name(id));
                return -1;
            }
        }
    return 0;
}

static herr_t write_layer(zc_stats_writer *w, hid_t layers, int l, const zc_layer_stats *ls) {
    char name[16];
    snprintf(name, sizeof name, "%03d", l);
    hid_t g = H5Gcreate2(layers, name, H5P_DEFAULT, w->gcpl_layer, H5P_DEFAULT);
    H5_TRY(g);
    H5_TRY(attr_write_str(g, "name", ls->name));
    H5_TRY(attr_write_int(g, "c_in", ls->c_in));
    H5_TRY(attr_write_int(g, "c_out", ls->c_out));
    H5_TRY(attr_write_int(g, "kernel_h", ls->kernel_h));
    H5_TRY(attr_write_int(g, "kernel_w", ls->kernel_w));
    H5_TRY(attr_write_int(g, "stride", ls->stride));
    H5_TRY(attr_write_int(g, "dilation", ls->dilation));
    H5_TRY(attr_write_int(g, "groups", ls->groups));
    H5_TRY(attr_write_int(g, "stage", ls->stage));
    H5_TRY(attr_write_int(g, "cell", ls->cell));
    for (int id = 0; id < ZC_NUM_TERMINALS; id++)
        if (w->cfg.terminals & (1u << id))
            H5_TRY(write_float_dataset(g, zc_terminal_name(id), &ls->t[id], w->dcpl));
    H5_TRY(H5Gclose(g));
    return 0;
fail:
    close_id(g);
    return -1;
}

int zc_stats_writer_put_arch(zc_stats_writer *w, const zc_arch_stats *a,
                             const zc_named_tensor *params, int n_params, char *err,
                             size_t errlen) {
    quiet_hdf5();
    if (check_arch_record(w, a, err, errlen) != 0) return -1;
    char name[16], acc_attr[48];
    snprintf(name, sizeof name, "%0*d", ARCH_NAME_DIGITS, a->arch_index);
    hid_t g = -1, layers = -1, pg = -1;
    htri_t exists = H5Lexists(w->archs, name, H5P_DEFAULT);
    H5_TRY(exists);
    if (exists) H5_TRY(H5Ldelete(w->archs, name, H5P_DEFAULT));
    if (a->arch_index < w->complete_cap) w->complete[a->arch_index] = 0;

    H5_TRY(g = H5Gcreate2(w->archs, name, H5P_DEFAULT, w->gcpl_arch, H5P_DEFAULT));
    H5_TRY(attr_write_int(g, "arch_index", a->arch_index));
    H5_TRY(attr_write_str(g, "arch_str", a->arch_str));
    H5_TRY(attr_write_double(g, "accuracy", a->accuracy));
    for (int i = 0; i < a->n_acc; i++) {
        snprintf(acc_attr, sizeof acc_attr, "acc_%s", a->acc_name[i]);
        H5_TRY(attr_write_double(g, acc_attr, a->acc[i]));
    }
    H5_TRY(attr_write_int(g, "n_layers", a->n_layers));
    H5_TRY(layers = H5Gcreate2(g, "layers", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    for (int l = 0; l < a->n_layers; l++) H5_TRY(write_layer(w, layers, l, &a->layers[l]));
    H5_TRY(H5Gclose(layers));
    layers = -1;
    if (w->cfg.store_params) {
        H5_TRY(pg = H5Gcreate2(g, "params", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
        for (int i = 0; i < n_params; i++)
            H5_TRY(write_float_dataset(pg, params[i].name, &params[i].tensor, w->dcpl));
        H5_TRY(H5Gclose(pg));
        pg = -1;
    }
    /* Flush the data first, then mark complete and flush again: a crash can
     * never leave a `complete` group with missing data. */
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    H5_TRY(attr_write_int(g, "complete", 1));
    H5_TRY(H5Gclose(g));
    g = -1;
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    mark_complete(w, a->arch_index);
    return 0;
fail:
    close_id(pg);
    close_id(layers);
    close_id(g);
    snprintf(err, errlen, "cannot write arch %d to '%s': %s", a->arch_index, w->partial,
             g_problem);
    return -1;
}

int zc_stats_writer_finish(zc_stats_writer *w, char *err, size_t errlen) {
    quiet_hdf5();
    int status = 0;
    herr_t r1 = H5Gclose(w->archs);
    w->archs = -1;
    herr_t r2 = H5Fclose(w->file);
    w->file = -1;
    if (r1 < 0 || r2 < 0) {
        h5_capture("H5Fclose");
        snprintf(err, errlen, "cannot close '%s': %s", w->partial, g_problem);
        status = -1;
    } else if (zc_fsync_rename(w->partial, w->path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", w->partial, w->path,
                 strerror(errno));
        status = -1;
    }
    writer_free(w);
    return status;
}

void zc_stats_writer_abandon(zc_stats_writer *w) {
    quiet_hdf5();
    writer_free(w);
}

/* ---- reader -------------------------------------------------------------- */

typedef struct {
    zc_terminal_mask want;
    zc_arch_stats *archs;
    int n, cap;
    char problem[512];
} read_state;

static herr_t acc_attr_cb(hid_t g, const char *name, const H5A_info_t *info, void *data) {
    (void)info;
    zc_arch_stats *a = data;
    if (strncmp(name, "acc_", 4) != 0) return 0;
    if (a->n_acc >= ZC_MAX_ACC_COLUMNS || strlen(name + 4) >= sizeof a->acc_name[0]) return 0;
    if (attr_read_double(g, name, &a->acc[a->n_acc]) < 0) return -1;
    snprintf(a->acc_name[a->n_acc], sizeof a->acc_name[0], "%s", name + 4);
    a->n_acc++;
    return 0;
}

/* read_float_dataset: dataset loc/name into t (data malloc'd). */
static herr_t read_float_dataset(hid_t loc, const char *name, zc_tensor *t) {
    hsize_t dims[ZC_MAX_DIMS];
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t space = H5Dget_space(d);
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    herr_t r = -1;
    if (nd >= 0 && nd <= ZC_MAX_DIMS && H5Sget_simple_extent_dims(space, dims, NULL) >= 0) {
        t->ndim = nd;
        for (int i = 0; i < nd; i++) t->shape[i] = (int64_t)dims[i];
        t->data = zc_malloc(sizeof(float) * (size_t)zc_tensor_numel(t));
        r = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data);
        if (r < 0) {
            free(t->data);
            t->data = NULL;
        }
    } else if (nd > ZC_MAX_DIMS) {
        set_problem("dataset '%s' has %d dimensions (at most %d)", name, nd, ZC_MAX_DIMS);
    }
    close_id(space);
    H5Dclose(d);
    return r;
}

static int read_layer(hid_t layers, int l, zc_terminal_mask want, zc_layer_stats *ls,
                      char *problem, size_t plen) {
    char name[16];
    snprintf(name, sizeof name, "%03d", l);
    hid_t g = -1;
    H5_TRY(g = H5Gopen2(layers, name, H5P_DEFAULT));
    H5_TRY(attr_read_str(g, "name", ls->name, sizeof ls->name));
    H5_TRY(attr_read_int(g, "c_in", &ls->c_in));
    H5_TRY(attr_read_int(g, "c_out", &ls->c_out));
    H5_TRY(attr_read_int(g, "kernel_h", &ls->kernel_h));
    H5_TRY(attr_read_int(g, "kernel_w", &ls->kernel_w));
    H5_TRY(attr_read_int(g, "stride", &ls->stride));
    H5_TRY(attr_read_int(g, "dilation", &ls->dilation));
    H5_TRY(attr_read_int(g, "groups", &ls->groups));
    H5_TRY(attr_read_int(g, "stage", &ls->stage));
    H5_TRY(attr_read_int(g, "cell", &ls->cell));
    for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
        if (!(want & (1u << id))) continue;
        if (read_float_dataset(g, zc_terminal_name(id), &ls->t[id]) < 0) {
            h5_capture("H5Dread");
            if (H5Lexists(g, zc_terminal_name(id), H5P_DEFAULT) <= 0)
                snprintf(problem, plen, "terminal '%s' missing in layer %s", zc_terminal_name(id),
                         name);
            else
                snprintf(problem, plen, "cannot read terminal '%s' of layer %s: %.400s",
                         zc_terminal_name(id), name, g_problem);
            H5Gclose(g);
            return -1;
        }
    }
    H5Gclose(g);
    return 0;
fail:
    close_id(g);
    snprintf(problem, plen, "layer %s: %.480s", name, g_problem);
    return -1;
}

static herr_t read_arch_cb(hid_t archs, const char *name, const H5L_info_t *info, void *data) {
    (void)info;
    read_state *s = data;
    if (parse_arch_name(name) < 0) return 0;
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    hid_t g = -1, layers = -1;
    H5_TRY(g = H5Gopen2(archs, name, H5P_DEFAULT));
    if (!is_complete_group(g)) {
        H5Gclose(g);
        return 0;
    }
    H5_TRY(attr_read_int(g, "arch_index", &a.arch_index));
    if (!(a.arch_str = attr_read_str_dup(g, "arch_str"))) {
        h5_capture("read attribute arch_str");
        goto fail;
    }
    H5_TRY(attr_read_double(g, "accuracy", &a.accuracy));
    if (H5Aiterate2(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, acc_attr_cb, &a) < 0) {
        a.n_acc = 0;
        H5_TRY(H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, acc_attr_cb, &a));
    }
    int n_layers = 0;
    H5_TRY(attr_read_int(g, "n_layers", &n_layers));
    if (n_layers < 0 || n_layers >= MAX_LAYERS) FAIL_WITH("n_layers=%d out of range", n_layers);
    a.layers = zc_calloc((size_t)(n_layers ? n_layers : 1), sizeof *a.layers);
    a.n_layers = n_layers;
    H5_TRY(layers = H5Gopen2(g, "layers", H5P_DEFAULT));
    for (int l = 0; l < n_layers; l++) {
        char layer_problem[512];
        if (read_layer(layers, l, s->want, &a.layers[l], layer_problem, sizeof layer_problem) < 0)
            FAIL_WITH("%s", layer_problem);
    }
    H5Gclose(layers);
    H5Gclose(g);
    if (s->n == s->cap) {
        s->cap = 2 * s->cap + 64;
        s->archs = zc_realloc(s->archs, (size_t)s->cap * sizeof *s->archs);
    }
    s->archs[s->n++] = a;
    return 0;
fail:
    snprintf(s->problem, sizeof s->problem, "arch %s: %.480s", name, g_problem);
    close_id(layers);
    close_id(g);
    zc_arch_stats_free(&a);
    return -1;
}

static int compare_arch_index(const void *x, const void *y) {
    const zc_arch_stats *a = x, *b = y;
    return (a->arch_index > b->arch_index) - (a->arch_index < b->arch_index);
}

int zc_stats_read_config(const char *path, zc_stats_config *cfg, char *err, size_t errlen) {
    quiet_hdf5();
    if (!has_hdf5_signature(path)) {
        snprintf(err, errlen, "cannot read stats file '%s': %s", path,
                 zc_file_exists(path) ? "not an HDF5 file" : "no such file");
        return -1;
    }
    hid_t file = open_stats_file(path, H5F_ACC_RDONLY);
    if (file < 0) {
        snprintf(err, errlen, "cannot open stats file '%s': %s", path, g_problem);
        return -1;
    }
    int r = config_read(file, cfg);
    H5Fclose(file);
    if (r < 0) snprintf(err, errlen, "stats file '%s': %s", path, g_problem);
    return r;
}

int zc_stats_read(const char *path, zc_terminal_mask want, zc_stats_set *out, char *err,
                  size_t errlen) {
    quiet_hdf5();
    memset(out, 0, sizeof *out);
    read_state s;
    memset(&s, 0, sizeof s);
    s.want = want;
    hid_t file = -1, archs = -1;
    if (zc_stats_read_config(path, &out->cfg, err, errlen) != 0) return -1;
    zc_terminal_mask missing = want & ~out->cfg.terminals;
    if (missing) {
        int id = 0;
        while (!(missing & (1u << id))) id++;
        char stored[512];
        terminal_list_string(out->cfg.terminals, stored, sizeof stored);
        snprintf(err, errlen, "stats file '%s' does not hold terminal '%s' (it holds: %s)", path,
                 zc_terminal_name(id), stored);
        return -1;
    }
    file = open_stats_file(path, H5F_ACC_RDONLY);
    if (file < 0) {
        snprintf(err, errlen, "cannot open stats file '%s': %s", path, g_problem);
        return -1;
    }
    H5_TRY(archs = H5Gopen2(file, "archs", H5P_DEFAULT));
    hsize_t idx = 0;
    if (H5Literate(archs, H5_INDEX_NAME, H5_ITER_INC, &idx, read_arch_cb, &s) < 0) {
        if (!s.problem[0]) h5_capture("H5Literate(archs)");
        snprintf(err, errlen, "cannot read stats file '%s': %s", path,
                 s.problem[0] ? s.problem : g_problem);
        goto cleanup;
    }
    H5Gclose(archs);
    H5Fclose(file);
    qsort(s.archs, (size_t)s.n, sizeof *s.archs, compare_arch_index);
    out->archs = s.archs;
    out->n_archs = s.n;
    return 0;
fail:
    snprintf(err, errlen, "cannot read stats file '%s': %s", path, g_problem);
cleanup:
    close_id(archs);
    close_id(file);
    for (int i = 0; i < s.n; i++) zc_arch_stats_free(&s.archs[i]);
    free(s.archs);
    memset(out, 0, sizeof *out);
    return -1;
}

float *zc_stats_read_input(const char *path, const char *name, char *err, size_t errlen) {
    quiet_hdf5();
    zc_stats_config cfg;
    if (zc_stats_read_config(path, &cfg, err, errlen) != 0) return NULL;
    char dset[64];
    snprintf(dset, sizeof dset, "inputs/%s", name);
    hid_t file = -1, d = -1, space = -1;
    float *values = NULL;
    int64_t count = (int64_t)cfg.batch * 3 * cfg.image_h * cfg.image_w;
    H5_TRY(file = open_stats_file(path, H5F_ACC_RDONLY));
    H5_TRY(d = H5Dopen2(file, dset, H5P_DEFAULT));
    H5_TRY(space = H5Dget_space(d));
    hssize_t npoints = H5Sget_simple_extent_npoints(space);
    if (npoints != count)
        FAIL_WITH("/%s holds %lld values, expected batch*3*H*W = %lld", dset, (long long)npoints,
                  (long long)count);
    values = zc_malloc(sizeof(float) * (size_t)count);
    H5_TRY(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values));
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(file);
    return values;
fail:
    snprintf(err, errlen, "cannot read /%s from stats file '%s': %s", dset, path, g_problem);
    free(values);
    close_id(space);
    close_id(d);
    close_id(file);
    return NULL;
}

void zc_stats_set_free(zc_stats_set *s) {
    for (int i = 0; i < s->n_archs; i++) zc_arch_stats_free(&s->archs[i]);
    free(s->archs);
    memset(s, 0, sizeof *s);
}
