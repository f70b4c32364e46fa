/* stats_h5.c: the writer of the HDF5 statistics cache (contract:
 * stats_h5.h, schema: docs/stats_schema.md; the reader is stats_h5_read.c).
 *
 * Layout: root attributes hold the configuration, /inputs the three network
 * inputs and the labels, /archs/NNNNNN one group per architecture with one
 * group per RCB block under layers/ and the stored terminals as float32
 * datasets. Format 2: strings are fixed-length (no global heap), every
 * dataset is chunked with the Fletcher32 checksum (one chunk per tensor up
 * to 1 GiB) or, when empty or 0-d, compact (inside its checksummed object
 * header). Writers hold "<path>.lock" (common/util/outputs.h) and work on
 * "<path>.partial"; every HDF5 failure becomes one error line naming the
 * file and the innermost HDF5 message. */
#include "common/stats/stats_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/stats/stats_h5_check.h"
#include "common/stats/stats_h5_file.h"
#include "common/util/outputs.h"
#include "common/util/util.h"

#ifndef ZCEVO_VERSION_STRING
#define ZCEVO_VERSION_STRING "0.1.0"
#endif

#define MAX_CHUNK_BYTES (1u << 30) /* HDF5 allows < 4 GiB per chunk */

struct zc_stats_writer {
    char *path;                /* final output                               */
    char *partial;             /* <path>.partial, the file being written     */
    zc_stats_config cfg;
    hid_t file, archs;
    hid_t gcpl_arch, gcpl_layer, gcpl_plain;
    unsigned char *complete;   /* complete[arch_index]: 1 when complete      */
    int complete_cap;
    zc_output_lock *lock;      /* <path>.lock                                */
};

/* ---- property lists -------------------------------------------------------- */

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

/* dataset_plist: no timestamps; rank >= 1 and elements: chunked (the whole
 * tensor, outer dimensions cut so that a chunk stays under 1 GiB) with the
 * Fletcher32 checksum; otherwise compact. */
static hid_t dataset_plist(int ndim, const hsize_t *dims, size_t elem) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return -1;
    H5Pset_obj_track_times(dcpl, 0);
    hsize_t chunk[ZC_MAX_DIMS], bytes = elem;
    for (int i = 0; i < ndim; i++) bytes *= (chunk[i] = dims[i]);
    if (ndim == 0 || bytes == 0) {
        if (H5Pset_layout(dcpl, H5D_COMPACT) < 0) goto fail;
        return dcpl;
    }
    for (int i = 0; i < ndim && bytes > MAX_CHUNK_BYTES; i++) {
        hsize_t inner = bytes / chunk[i];
        chunk[i] = inner >= MAX_CHUNK_BYTES ? 1 : MAX_CHUNK_BYTES / inner;
        bytes = inner * chunk[i];
    }
    if (H5Pset_chunk(dcpl, ndim, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) goto fail;
    return dcpl;
fail:
    H5Pclose(dcpl);
    return -1;
}

/* ---- attributes and datasets ------------------------------------------------ */

/* attr_write: a scalar attribute; on failure zc_h5_problem names it. */
static herr_t attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                         const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : H5Awrite(a, mem_type, value);
    if (r >= 0 && H5Aclose(a) < 0) r = -1;
    else if (r < 0 && a >= 0) H5Aclose(a);
    if (r < 0) zc_h5_capture(name);
    zc_h5_close_id(space);
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

/* attr_write_str: a fixed-length UTF-8 string (its bytes, at least one),
 * stored inside the object header: no global heap. */
static herr_t attr_write_str(hid_t obj, const char *name, const char *s) {
    const char *value = s ? s : "";
    size_t len = strlen(value);
    hid_t type = H5Tcopy(H5T_C_S1);
    herr_t r = -1;
    if (type >= 0 && H5Tset_size(type, len ? len : 1) >= 0 &&
        H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0) {
        char *buf = zc_calloc(len + 1, 1);
        memcpy(buf, value, len);
        r = attr_write(obj, name, type, type, buf);
        free(buf);
    } else {
        zc_h5_capture(name);
    }
    zc_h5_close_id(type);
    return r;
}

/* write_dataset: one dataset of ndim dims (file_type / mem_type) from
 * values; on failure zc_h5_problem names it (and the system's reason). */
static herr_t write_dataset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                            int ndim, const hsize_t *dims, const void *values) {
    hid_t space = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = dataset_plist(ndim, dims, H5Tget_size(file_type));
    hid_t d = space < 0 || dcpl < 0
                  ? -1
                  : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    if (r >= 0 && H5Dclose(d) < 0) r = -1;
    else if (r < 0 && d >= 0) H5Dclose(d);
    if (r < 0) zc_h5_capture(name);
    zc_h5_close_id(dcpl);
    zc_h5_close_id(space);
    return r;
}

/* write_float_dataset: one float32 dataset at the tensor's shape. */
static herr_t write_float_dataset(hid_t loc, const char *name, const zc_tensor *t) {
    hsize_t dims[ZC_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) dims[i] = (hsize_t)t->shape[i];
    return write_dataset(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t->ndim, dims, t->data);
}

static herr_t config_write(hid_t file, const zc_stats_config *c) {
    char terminals[512];
    zc_stats_terminal_list(c->terminals, terminals, sizeof terminals);
    OWN_TRY(attr_write_str(file, "format", ZC_STATS_FORMAT));
    OWN_TRY(attr_write_int(file, "format_version", ZC_STATS_FORMAT_VERSION));
    OWN_TRY(attr_write_str(file, "zcevo_version", ZCEVO_VERSION_STRING));
    OWN_TRY(attr_write_str(file, "space", c->space));
    OWN_TRY(attr_write_str(file, "dataset", c->dataset));
    OWN_TRY(attr_write_int(file, "batch", c->batch));
    OWN_TRY(attr_write_u64(file, "seed", c->seed));
    OWN_TRY(attr_write_str(file, "terminals", terminals));
    OWN_TRY(attr_write_int(file, "store_params", c->store_params));
    OWN_TRY(attr_write_int(file, "num_classes", c->num_classes));
    OWN_TRY(attr_write_int(file, "image_h", c->image_h));
    OWN_TRY(attr_write_int(file, "image_w", c->image_w));
    OWN_TRY(attr_write_str(file, "accuracy_column", c->accuracy_column));
    OWN_TRY(attr_write_str(file, "image_source", c->image_source));
    return 0;
fail:
    return -1;
}

/* config_mismatch_message: "existing output 'x' was made with batch=1, this
 * run has batch=16; use another --out". */
static void config_mismatch_message(const char *what, const char *path,
                                    const zc_stats_config *existing,
                                    const zc_stats_config *wanted, const char *field,
                                    char *err, size_t errlen) {
    char have[512], want[512];
    zc_stats_config_field_text(existing, field, have, sizeof have);
    zc_stats_config_field_text(wanted, field, want, sizeof want);
    snprintf(err, errlen, "%s '%s' was made with %s=%s, this run has %s=%s; use another --out%s",
             what, path, field, have, field, want,
             strstr(what, "partial") ? " or delete that file" : "");
}

/* use_new_layouts: datasets created from now on get the 1.10 chunk index
 * (a single chunk's address in the checksummed object header, no
 * unchecksummed B-tree) while the superblock stays version 2. */
static herr_t use_new_layouts(hid_t file) {
    return H5Fset_libver_bounds(file, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
}

/* ---- the complete architectures -------------------------------------------- */

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

typedef struct {
    zc_stats_writer *w;
    char (*incomplete)[ZC_STATS_ARCH_DIGITS + 1];
    int n_incomplete, cap_incomplete;
} scan_state;

static herr_t scan_arch_cb(hid_t archs, const char *name, const H5L_info_t *info, void *data) {
    (void)info;
    scan_state *s = data;
    int index = zc_stats_parse_arch_name(name);
    if (index < 0) return 0; /* not ours: leave it */
    hid_t g = H5Gopen2(archs, name, H5P_DEFAULT);
    if (g < 0) return -1;
    int complete = zc_stats_group_complete(g);
    H5Gclose(g);
    if (complete) {
        mark_complete(s->w, index);
    } else {
        if (s->n_incomplete == s->cap_incomplete) {
            s->cap_incomplete = 2 * s->cap_incomplete + 8;
            s->incomplete = zc_realloc(s->incomplete,
                                       (size_t)s->cap_incomplete * sizeof *s->incomplete);
        }
        snprintf(s->incomplete[s->n_incomplete++], ZC_STATS_ARCH_DIGITS + 1, "%s", name);
    }
    return 0;
}

/* scan_archs: note the complete archs, delete incomplete groups (they are
 * rewritten when their arch comes again). Returns 0 or -1 (zc_h5_problem). */
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

/* ---- opening: the rules of stats_h5.h ---------------------------------------- */

/* copy_file: byte copy src -> dst (created or truncated), closed and checked.
 * 0 or -1 (zc_h5_problem). */
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
    in = -1;
    if (fsync(out) != 0 || close(out) != 0) {
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

/* legacy_refusal: err for a format 1 file the writer would have to extend. */
static void legacy_refusal(const char *what, const char *path, char *err, size_t errlen) {
    snprintf(err, errlen, "%s '%s' is a format 1 statistics file (zcevo before checksums); it "
             "stays readable by score and evolve, but this zcevo writes format 2 and does not "
             "extend it; use another --out%s",
             what, path, strstr(what, "partial") ? " or delete that file" : "");
}

/* check_existing_output: <path> exists; it must be a zcevo stats file of
 * format 2 and of the same configuration. Read-only, touches nothing. */
static int check_existing_output(const char *path, const zc_stats_config *cfg, char *err,
                                 size_t errlen) {
    zc_stats_config have;
    zc_stats_file f;
    if (!zc_h5_has_signature(path))
        return zc_fail(err, errlen, "existing output '%s' is not an HDF5 file (not a zcevo stats "
                       "file); refusing to overwrite it; use another --out", path);
    if (zc_stats_file_open(path, H5F_ACC_RDONLY, &f) != 0)
        return zc_fail(err, errlen, "existing output '%s': %s; refusing to overwrite it; use "
                       "another --out", path, zc_h5_problem);
    int r = zc_stats_config_read(&f, &have), version = f.version;
    zc_stats_file_close(&f);
    if (r < 0)
        return zc_fail(err, errlen, "existing output '%s': %s; refusing to overwrite it; use "
                       "another --out", path, zc_h5_problem);
    const char *field = zc_stats_config_diff(&have, cfg);
    if (field) {
        config_mismatch_message("existing output", path, &have, cfg, field, err, errlen);
        return -1;
    }
    if (version != ZC_STATS_FORMAT_VERSION) {
        legacy_refusal("existing output", path, err, errlen);
        return -1;
    }
    return 0;
}

/* open_partial: try to resume <path>.partial. Returns 0 with w->file and
 * w->archs open, 1 when the file is corrupt (caller warns and starts anew),
 * -1 on an error the user must resolve (other config or format, locked). */
static int open_partial(zc_stats_writer *w, char *err, size_t errlen) {
    zc_stats_config have;
    zc_stats_file f = {-1, 0};
    /* A file we may not write is the user's to sort out, never "corrupt". */
    int fd = open(w->partial, O_RDWR);
    if (fd < 0) return zc_fail(err, errlen, "cannot resume '%s': %s", w->partial, strerror(errno));
    close(fd);
    if (!zc_h5_has_signature(w->partial)) {
        zc_h5_set_problem("not an HDF5 file");
        return 1;
    }
    if (zc_stats_file_open(w->partial, H5F_ACC_RDWR, &f) != 0) {
        if (!zc_h5_problem_is_lock() && !strstr(zc_h5_problem, "locked")) return 1;
        return zc_fail(err, errlen, "cannot resume '%s': %s", w->partial, zc_h5_problem);
    }
    w->file = f.id;
    if (zc_stats_config_read(&f, &have) < 0) goto corrupt;
    const char *field = zc_stats_config_diff(&have, &w->cfg);
    if (field || f.version != ZC_STATS_FORMAT_VERSION) {
        if (field)
            config_mismatch_message("existing partial output", w->partial, &have, &w->cfg, field,
                                    err, errlen);
        else
            legacy_refusal("existing partial output", w->partial, err, errlen);
        H5Fclose(w->file);
        w->file = -1;
        return -1;
    }
    if (use_new_layouts(w->file) < 0 ||
        (w->archs = H5Gopen2(w->file, "archs", H5P_DEFAULT)) < 0) {
        zc_h5_capture("H5Gopen2(file, \"archs\")");
        goto corrupt;
    }
    if (scan_archs(w) < 0) goto corrupt;
    return 0;
corrupt:
    zc_h5_close_id(w->archs);
    zc_h5_close_id(w->file);
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
    if (fd < 0)
        return zc_fail(err, errlen, "cannot create stats file '%s': %s", w->partial,
                       strerror(errno));
    close(fd);
    H5_TRY(fapl = zc_h5_file_access());
    H5_TRY(fcpl = H5Pcreate(H5P_FILE_CREATE));
    H5_TRY(H5Pset_obj_track_times(fcpl, 0)); /* root group without timestamps */
    H5_TRY(w->file = H5Fcreate(w->partial, H5F_ACC_TRUNC, fcpl, fapl));
    H5_TRY(use_new_layouts(w->file));
    OWN_TRY(config_write(w->file, &w->cfg));
    H5_TRY(w->archs = H5Gcreate2(w->file, "archs", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    H5Pclose(fapl);
    H5Pclose(fcpl);
    return 0;
fail:
    zc_h5_close_id(fapl);
    zc_h5_close_id(fcpl);
    zc_h5_close_id(w->archs);
    zc_h5_close_id(w->file);
    w->archs = w->file = -1;
    unlink(w->partial);
    return zc_fail(err, errlen, "cannot create stats file '%s': %s", w->partial, zc_h5_problem);
}

static void writer_free(zc_stats_writer *w) {
    if (!w) return;
    zc_h5_close_id(w->archs);
    zc_h5_close_id(w->file);
    zc_h5_close_id(w->gcpl_arch);
    zc_h5_close_id(w->gcpl_layer);
    zc_h5_close_id(w->gcpl_plain);
    zc_output_lock_release(w->lock);
    free(w->path);
    free(w->partial);
    free(w->complete);
    free(w);
}

/* writer_new: w for path and cfg with its property lists and the lock on
 * path; NULL with err (empty name, folder, bad configuration, locked). */
static zc_stats_writer *writer_new(const char *path, const zc_stats_config *cfg, char *err,
                                   size_t errlen) {
    char why[512];
    struct stat st;
    if (!path[0]) {
        zc_fail(err, errlen, "stats output: empty file name");
        return NULL;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        zc_fail(err, errlen, "output '%s' exists and is not a regular file; use another --out",
                path);
        return NULL;
    }
    if (zc_stats_config_check(cfg, why, sizeof why) != 0) {
        zc_fail(err, errlen, "stats file '%s': configuration %s", path, why);
        return NULL;
    }
    zc_stats_writer *w = zc_calloc(1, sizeof *w);
    w->file = w->archs = -1;
    w->path = zc_strdup(path);
    w->partial = zc_malloc(strlen(path) + sizeof ".partial");
    sprintf(w->partial, "%s.partial", path);
    w->cfg = *cfg;
    w->gcpl_arch = group_create_plist(8 + 2 * ZC_MAX_ACC_COLUMNS, 1);
    w->gcpl_layer = group_create_plist(16, 0);
    w->gcpl_plain = group_create_plist(8, 0);
    if (w->gcpl_arch < 0 || w->gcpl_layer < 0 || w->gcpl_plain < 0) {
        zc_fail(err, errlen, "stats file '%s': cannot create HDF5 property lists", path);
        writer_free(w);
        return NULL;
    }
    if (!(w->lock = zc_output_lock_take(path, err, errlen))) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* open_files: the existing <path>, then <path>.partial, then a copy of
 * <path>, then a new file, per the rules of stats_h5.h. */
static int open_files(zc_stats_writer *w, char *err, size_t errlen) {
    int have_final = zc_file_exists(w->path);
    if (have_final && check_existing_output(w->path, &w->cfg, err, errlen) != 0) return -1;
    if (zc_file_exists(w->partial)) {
        int r = open_partial(w, err, errlen);
        if (r < 0) return -1;
        if (r == 1) {
            zc_warn("cannot resume '%s' (%s); starting it again from %s", w->partial,
                    zc_h5_problem, have_final ? w->path : "scratch");
            if (unlink(w->partial) != 0)
                return zc_fail(err, errlen, "cannot remove corrupt '%s': %s", w->partial,
                               strerror(errno));
        }
    }
    if (w->file < 0 && have_final) {
        if (copy_file(w->path, w->partial) != 0) return zc_fail(err, errlen, "%s", zc_h5_problem);
        int r = open_partial(w, err, errlen);
        if (r != 0) {
            if (r == 1)
                zc_fail(err, errlen, "cannot extend existing output '%s': %s", w->path,
                        zc_h5_problem);
            unlink(w->partial);
            return -1;
        }
    }
    if (w->file < 0 && create_partial(w, err, errlen) != 0) return -1;
    return 0;
}

zc_stats_writer *zc_stats_writer_open(const char *path, const zc_stats_config *cfg, char *err,
                                      size_t errlen) {
    zc_h5_quiet();
    zc_stats_writer *w = writer_new(path, cfg, err, errlen);
    if (w && open_files(w, err, errlen) != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* ---- writing ------------------------------------------------------------------ */

/* input_matches: 1 when dataset g/name holds exactly `count` values equal
 * to `values` (elem bytes each). */
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
    zc_h5_close_id(space);
    H5Dclose(d);
    return same;
}

static const char *const k_input_names[4] = {"data", "noise", "perturb", "labels"};

/* inputs_complete: 1 when /inputs holds all four datasets; a writer killed
 * while writing them leaves some out: the group is then deleted. */
static int inputs_complete(zc_stats_writer *w) {
    htri_t exists = H5Lexists(w->file, "inputs", H5P_DEFAULT);
    if (exists <= 0) return (int)exists;
    int all = 1;
    hid_t g = H5Gopen2(w->file, "inputs", H5P_DEFAULT);
    if (g < 0) return -1;
    for (int i = 0; i < 4; i++) all &= H5Lexists(g, k_input_names[i], H5P_DEFAULT) > 0;
    H5Gclose(g);
    if (!all && H5Ldelete(w->file, "inputs", H5P_DEFAULT) < 0) return -1;
    return all;
}

/* inputs_equal: the stored inputs are bit-identical to these (else err). */
static int inputs_equal(zc_stats_writer *w, const void *const values[4], hsize_t count,
                        hsize_t batch, char *err, size_t errlen) {
    hid_t g = H5Gopen2(w->file, "inputs", H5P_DEFAULT);
    if (g < 0) {
        zc_h5_capture("H5Gopen2(inputs)");
        return zc_fail(err, errlen, "cannot read inputs of '%s': %s", w->partial, zc_h5_problem);
    }
    for (int i = 0; i < 4; i++) {
        int same = i < 3 ? input_matches(g, k_input_names[i], H5T_NATIVE_FLOAT, sizeof(float),
                                         count, values[i])
                         : input_matches(g, "labels", H5T_NATIVE_INT, sizeof(int), batch,
                                         values[i]);
        if (!same) {
            H5Gclose(g);
            return zc_fail(err, errlen, "stats file '%s': the stored input '%s' differs from "
                           "this run's (different data or code version); use another --out",
                           w->partial, k_input_names[i]);
        }
    }
    H5Gclose(g);
    return 0;
}

int zc_stats_writer_put_inputs(zc_stats_writer *w, const float *data, const float *noise,
                               const float *perturb, const int *labels, char *err,
                               size_t errlen) {
    zc_h5_quiet();
    const zc_stats_config *c = &w->cfg;
    hsize_t dims[4] = {(hsize_t)c->batch, 3, (hsize_t)c->image_h, (hsize_t)c->image_w};
    hsize_t count = dims[0] * dims[1] * dims[2] * dims[3];
    const void *const values[4] = {data, noise, perturb, labels};
    hid_t g = -1;
    int exists = inputs_complete(w);
    H5_TRY(exists);
    if (exists) return inputs_equal(w, values, count, dims[0], err, errlen);
    H5_TRY(g = H5Gcreate2(w->file, "inputs", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    for (int i = 0; i < 3; i++)
        OWN_TRY(write_dataset(g, k_input_names[i], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, dims,
                             values[i]));
    OWN_TRY(write_dataset(g, "labels", H5T_STD_I32LE, H5T_NATIVE_INT, 1, dims, labels));
    H5_TRY(H5Gclose(g));
    g = -1;
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    return 0;
fail:
    zc_h5_close_id(g);
    return zc_fail(err, errlen, "cannot write inputs to '%s': %s", w->partial, zc_h5_problem);
}

/* check_arch_record: the record follows the schema the reader checks
 * (stats_h5_check.h): index and counts in range, layer metadata, every
 * stored terminal present at its shape. */
static int check_arch_record(const zc_stats_writer *w, const zc_arch_stats *a, char *err,
                             size_t errlen) {
    char why[512];
    if (a->arch_index < 0 || a->arch_index > 999999)
        return zc_fail(err, errlen, "stats file '%s': arch index %d out of range 0..999999",
                       w->partial, a->arch_index);
    if (a->n_layers < 0 || a->n_layers >= ZC_STATS_MAX_LAYERS || a->n_acc < 0 ||
        a->n_acc > ZC_MAX_ACC_COLUMNS)
        return zc_fail(err, errlen, "stats file '%s': arch %d has %d layers and %d accuracy "
                       "columns (at most %d and %d)", w->partial, a->arch_index, a->n_layers,
                       a->n_acc, ZC_STATS_MAX_LAYERS - 1, ZC_MAX_ACC_COLUMNS);
    for (int l = 0; l < a->n_layers; l++) {
        const zc_layer_stats *ls = &a->layers[l];
        zc_stats_layer_hw hw = {{0, 0}, {0, 0}};
        int bad = zc_stats_check_layer(ls, why, sizeof why);
        for (int id = 0; id < ZC_NUM_TERMINALS && !bad; id++) {
            if (!(w->cfg.terminals & (1u << id))) continue;
            const zc_tensor *t = &ls->t[id];
            if (!t->data || t->ndim < 0 || t->ndim > ZC_MAX_DIMS)
                return zc_fail(err, errlen, "stats file '%s': arch %d layer %d (%s): terminal "
                               "'%s' is missing but the run stores it", w->partial,
                               a->arch_index, l, ls->name, zc_terminal_name(id));
            bad = zc_stats_check_shape(&w->cfg, ls, id, t->ndim, t->shape, &hw, why, sizeof why);
        }
        if (bad)
            return zc_fail(err, errlen, "stats file '%s': arch %d layer %d (%s): %s", w->partial,
                           a->arch_index, l, ls->name, why);
    }
    return 0;
}

static herr_t write_layer(zc_stats_writer *w, hid_t layers, int l, const zc_layer_stats *ls) {
    char name[16];
    snprintf(name, sizeof name, "%03d", l);
    hid_t g = H5Gcreate2(layers, name, H5P_DEFAULT, w->gcpl_layer, H5P_DEFAULT);
    H5_TRY(g);
    OWN_TRY(attr_write_str(g, "name", ls->name));
    OWN_TRY(attr_write_int(g, "c_in", ls->c_in));
    OWN_TRY(attr_write_int(g, "c_out", ls->c_out));
    OWN_TRY(attr_write_int(g, "kernel_h", ls->kernel_h));
    OWN_TRY(attr_write_int(g, "kernel_w", ls->kernel_w));
    OWN_TRY(attr_write_int(g, "stride", ls->stride));
    OWN_TRY(attr_write_int(g, "dilation", ls->dilation));
    OWN_TRY(attr_write_int(g, "groups", ls->groups));
    OWN_TRY(attr_write_int(g, "stage", ls->stage));
    OWN_TRY(attr_write_int(g, "cell", ls->cell));
    for (int id = 0; id < ZC_NUM_TERMINALS; id++)
        if (w->cfg.terminals & (1u << id))
            OWN_TRY(write_float_dataset(g, zc_terminal_name(id), &ls->t[id]));
    H5_TRY(H5Gclose(g));
    return 0;
fail:
    zc_h5_close_id(g);
    return -1;
}

/* write_arch_body: the attributes, layers and parameters of group g. */
static herr_t write_arch_body(zc_stats_writer *w, hid_t g, const zc_arch_stats *a,
                              const zc_named_tensor *params, int n_params) {
    char acc_attr[48];
    hid_t layers = -1, pg = -1;
    OWN_TRY(attr_write_int(g, "arch_index", a->arch_index));
    OWN_TRY(attr_write_str(g, "arch_str", a->arch_str));
    OWN_TRY(attr_write_double(g, "accuracy", a->accuracy));
    for (int i = 0; i < a->n_acc; i++) {
        snprintf(acc_attr, sizeof acc_attr, "acc_%s", a->acc_name[i]);
        OWN_TRY(attr_write_double(g, acc_attr, a->acc[i]));
    }
    OWN_TRY(attr_write_int(g, "n_layers", a->n_layers));
    H5_TRY(layers = H5Gcreate2(g, "layers", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
    for (int l = 0; l < a->n_layers; l++) OWN_TRY(write_layer(w, layers, l, &a->layers[l]));
    H5_TRY(H5Gclose(layers));
    layers = -1;
    if (w->cfg.store_params) {
        H5_TRY(pg = H5Gcreate2(g, "params", H5P_DEFAULT, w->gcpl_plain, H5P_DEFAULT));
        for (int i = 0; i < n_params; i++)
            OWN_TRY(write_float_dataset(pg, params[i].name, &params[i].tensor));
        H5_TRY(H5Gclose(pg));
    }
    return 0;
fail:
    zc_h5_close_id(pg);
    zc_h5_close_id(layers);
    return -1;
}

int zc_stats_writer_put_arch(zc_stats_writer *w, const zc_arch_stats *a,
                             const zc_named_tensor *params, int n_params, char *err,
                             size_t errlen) {
    zc_h5_quiet();
    if (check_arch_record(w, a, err, errlen) != 0) return -1;
    char name[16];
    snprintf(name, sizeof name, "%0*d", ZC_STATS_ARCH_DIGITS, a->arch_index);
    hid_t g = -1;
    htri_t exists = H5Lexists(w->archs, name, H5P_DEFAULT);
    H5_TRY(exists);
    if (exists) H5_TRY(H5Ldelete(w->archs, name, H5P_DEFAULT));
    if (a->arch_index < w->complete_cap) w->complete[a->arch_index] = 0;
    H5_TRY(g = H5Gcreate2(w->archs, name, H5P_DEFAULT, w->gcpl_arch, H5P_DEFAULT));
    OWN_TRY(write_arch_body(w, g, a, params, n_params));
    /* Flush the data first, then mark complete and flush again: a crash can
     * never leave a `complete` group with missing data. */
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    OWN_TRY(attr_write_int(g, "complete", 1));
    H5_TRY(H5Gclose(g));
    g = -1;
    H5_TRY(H5Fflush(w->file, H5F_SCOPE_LOCAL));
    mark_complete(w, a->arch_index);
    return 0;
fail:
    zc_h5_close_id(g);
    return zc_fail(err, errlen, "cannot write arch %d to '%s': %s", a->arch_index, w->partial,
                   zc_h5_problem);
}

int zc_stats_writer_finish(zc_stats_writer *w, char *err, size_t errlen) {
    zc_h5_quiet();
    int status = 0;
    herr_t r1 = H5Gclose(w->archs);
    w->archs = -1;
    herr_t r2 = H5Fclose(w->file);
    w->file = -1;
    if (r1 < 0 || r2 < 0) {
        zc_h5_capture("H5Fclose");
        status = zc_fail(err, errlen, "cannot close '%s': %s", w->partial, zc_h5_problem);
    } else if (zc_fsync_rename(w->partial, w->path) != 0) {
        status = zc_fail(err, errlen, "cannot rename '%s' to '%s': %s", w->partial, w->path,
                         strerror(errno));
    }
    writer_free(w);
    return status;
}

void zc_stats_writer_abandon(zc_stats_writer *w) {
    zc_h5_quiet();
    writer_free(w);
}
