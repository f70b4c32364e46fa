/* stats_h5_file.c: the HDF5 pieces shared by the statistics writer and
 * reader (see stats_h5_file.h): error capture, the file access list,
 * checked attribute reads, opening a file of either format and reading
 * its configuration. */
#include "common/stats/stats_h5_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/stats_h5_legacy.h"
#include "common/util/util.h"

char zc_h5_problem[512];

/* ---- error capture ------------------------------------------------------ */

typedef struct {
    char innermost[256];
    char api_func[64];
    char system[128]; /* the system's reason of a failed read or write */
} h5_walk_result;

static herr_t walk_error_stack(unsigned n, const H5E_error2_t *e, void *data) {
    h5_walk_result *r = data;
    const char *desc = e->desc ? e->desc : "";
    const char *sys = strstr(desc, "error message = '");
    if (n == 0) snprintf(r->innermost, sizeof r->innermost, "%s", desc);
    if (sys && !r->system[0]) {
        sys += strlen("error message = '");
        snprintf(r->system, sizeof r->system, "%.*s", (int)strcspn(sys, "'"), sys);
    }
    snprintf(r->api_func, sizeof r->api_func, "%s", e->func_name ? e->func_name : "");
    return 0;
}

void zc_h5_set_problem(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(zc_h5_problem, sizeof zc_h5_problem, fmt, ap);
    va_end(ap);
}

void zc_h5_capture(const char *call_text) {
    h5_walk_result r = {{0}, {0}, {0}};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_error_stack, &r);
    if (r.system[0])
        zc_h5_set_problem("%s (HDF5 %s, in %s)", r.system, r.api_func, call_text);
    else if (r.innermost[0])
        zc_h5_set_problem("%s (HDF5 %s, in %s)", r.innermost, r.api_func, call_text);
    else
        zc_h5_set_problem("HDF5 call failed: %s", call_text);
}

void zc_h5_quiet(void) {
    static int first = 1;
    if (first) {
        /* No HDF5 clean-up at exit: after a failed write (a full disk) it
         * closes the half-closed file again and crashes; open files are
         * left as a crash leaves them, which the writer's resume expects.
         * Takes effect when this is the process's first HDF5 call. */
        H5dont_atexit();
        first = 0;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void zc_h5_close_id(hid_t id) {
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

/* ---- files -------------------------------------------------------------- */

hid_t zc_h5_file_access(void) {
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

int zc_h5_has_signature(const char *path) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Fis_accessible(path, H5P_DEFAULT) > 0;
#else
    return H5Fis_hdf5(path) > 0;
#endif
}

int zc_h5_problem_is_lock(void) { return strstr(zc_h5_problem, "unable to lock file") != NULL; }

/* ---- attributes ----------------------------------------------------------- */

/* open_scalar_attr: obj's attribute `name` when it holds one value of
 * class `cls`; -1 with zc_h5_problem otherwise. */
static hid_t open_scalar_attr(hid_t obj, const char *name, H5T_class_t cls) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        zc_h5_capture(name);
        zc_h5_set_problem("attribute '%s' is missing", name);
        return -1;
    }
    hid_t space = H5Aget_space(a), type = H5Aget_type(a);
    int ok = space >= 0 && type >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
             H5Tget_class(type) == cls;
    zc_h5_close_id(space);
    zc_h5_close_id(type);
    if (!ok) {
        H5Aclose(a);
        zc_h5_set_problem("attribute '%s' is not one %s", name,
                          cls == H5T_INTEGER ? "integer" : cls == H5T_FLOAT ? "real" : "string");
        return -1;
    }
    return a;
}

static herr_t attr_read(hid_t obj, const char *name, H5T_class_t cls, hid_t mem_type,
                        void *value) {
    hid_t a = open_scalar_attr(obj, name, cls);
    if (a < 0) return -1;
    herr_t r = H5Aread(a, mem_type, value);
    if (r < 0) zc_h5_capture(name);
    H5Aclose(a);
    return r;
}

herr_t zc_h5_attr_read_int(hid_t obj, const char *name, int *v) {
    return attr_read(obj, name, H5T_INTEGER, H5T_NATIVE_INT, v);
}
herr_t zc_h5_attr_read_u64(hid_t obj, const char *name, uint64_t *v) {
    return attr_read(obj, name, H5T_INTEGER, H5T_NATIVE_UINT64, v);
}
herr_t zc_h5_attr_read_double(hid_t obj, const char *name, double *v) {
    return attr_read(obj, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, v);
}

/* read_vlen_str: a variable-length string attribute as a malloc'd copy. */
static char *read_vlen_str(hid_t a, hid_t ft) {
    char *p = NULL, *result = NULL;
    hid_t mt = H5Tcopy(ft);
    if (mt >= 0 && H5Aread(a, mt, &p) >= 0) {
        result = zc_strdup(p ? p : "");
        H5free_memory(p);
    }
    zc_h5_close_id(mt);
    return result;
}

/* read_fixed_str: a fixed-length string attribute (at most max bytes) as
 * a malloc'd, NUL-terminated copy. */
static char *read_fixed_str(hid_t a, hid_t ft, size_t max) {
    size_t size = H5Tget_size(ft);
    if (size == 0 || size > max) return NULL;
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *buf = zc_calloc(size + 1, 1);
    if (mt < 0 || H5Tset_size(mt, size + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(mt, H5Tget_cset(ft)) < 0 || H5Aread(a, mt, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    zc_h5_close_id(mt);
    return buf;
}

char *zc_h5_attr_read_str_dup(hid_t obj, const char *name, size_t max, int allow_vlen) {
    hid_t a = open_scalar_attr(obj, name, H5T_STRING);
    if (a < 0) return NULL;
    hid_t ft = H5Aget_type(a);
    char *s = NULL;
    htri_t vlen = ft < 0 ? -1 : H5Tis_variable_str(ft);
    if (vlen > 0 && allow_vlen) s = read_vlen_str(a, ft);
    else if (vlen == 0) s = read_fixed_str(a, ft, max);
    if (!s)
        zc_h5_set_problem("attribute '%s': %s", name,
                          vlen > 0 && !allow_vlen ? "a variable-length string in a format 2 file"
                                                  : "unreadable or too long string");
    else if (strlen(s) > max) {
        zc_h5_set_problem("attribute '%s' is longer than %zu bytes", name, max);
        free(s);
        s = NULL;
    }
    zc_h5_close_id(ft);
    H5Aclose(a);
    return s;
}

herr_t zc_h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, int allow_vlen) {
    char *s = zc_h5_attr_read_str_dup(obj, name, n - 1, allow_vlen);
    if (!s) return -1;
    memcpy(buf, s, strlen(s) + 1);
    free(s);
    return 0;
}

/* ---- statistics files ------------------------------------------------------ */

/* lock_message: call out a lock held by another process in zc_h5_problem. */
static void lock_message(void) {
    if (!zc_h5_problem_is_lock()) return;
    char inner[sizeof zc_h5_problem];
    snprintf(inner, sizeof inner, "%s", zc_h5_problem);
    zc_h5_set_problem("the file is locked by another process (is another zcevo run writing it? "
                      "On a file system where locks are stale, set "
                      "HDF5_USE_FILE_LOCKING=FALSE): %.300s",
                      inner);
}

/* check_format: format_version (an integer) first, the heap check of a
 * format 1 file, then the format string. */
static int check_format(const char *path, zc_stats_file *f) {
    char format[64], err[512];
    if (H5Aexists(f->id, "format_version") <= 0 ||
        zc_h5_attr_read_int(f->id, "format_version", &f->version) < 0)
        FAIL_WITH("not a zcevo stats file (no root attribute format_version)");
    if (f->version != ZC_STATS_FORMAT_VERSION && f->version != ZC_STATS_LEGACY_VERSION)
        FAIL_WITH("stats format version %d; this zcevo reads versions %d and %d", f->version,
                  ZC_STATS_LEGACY_VERSION, ZC_STATS_FORMAT_VERSION);
    if (f->version == ZC_STATS_LEGACY_VERSION && zc_stats_legacy_check(path, err, sizeof err) != 0)
        FAIL_WITH("%s", err);
    if (zc_h5_attr_read_str(f->id, "format", format, sizeof format,
                            f->version == ZC_STATS_LEGACY_VERSION) < 0 ||
        strcmp(format, ZC_STATS_FORMAT) != 0)
        FAIL_WITH("not a zcevo stats file (no root attribute format=\"%s\")", ZC_STATS_FORMAT);
    return 0;
fail:
    return -1;
}

int zc_stats_file_open(const char *path, unsigned flags, zc_stats_file *f) {
    f->id = -1;
    f->version = 0;
    hid_t fapl = zc_h5_file_access();
    H5_TRY(fapl);
    H5_TRY(f->id = H5Fopen(path, flags, fapl));
    H5Pclose(fapl);
    fapl = -1;
    if (check_format(path, f) != 0) goto fail;
    return 0;
fail:
    zc_h5_close_id(fapl);
    zc_h5_close_id(f->id);
    f->id = -1;
    lock_message();
    return -1;
}

herr_t zc_stats_file_close(zc_stats_file *f) {
    herr_t r = f->id >= 0 ? H5Fclose(f->id) : 0;
    f->id = -1;
    return r;
}

int zc_stats_config_read(const zc_stats_file *f, zc_stats_config *c) {
    memset(c, 0, sizeof *c);
    char terminals[512] = "", bad[64], why[256];
    const hid_t id = f->id;
    const int vlen = f->version == ZC_STATS_LEGACY_VERSION;
    if (zc_h5_attr_read_str(id, "space", c->space, sizeof c->space, vlen) < 0 ||
        zc_h5_attr_read_str(id, "dataset", c->dataset, sizeof c->dataset, vlen) < 0 ||
        zc_h5_attr_read_int(id, "batch", &c->batch) < 0 ||
        zc_h5_attr_read_u64(id, "seed", &c->seed) < 0 ||
        zc_h5_attr_read_str(id, "terminals", terminals, sizeof terminals, vlen) < 0 ||
        zc_h5_attr_read_int(id, "store_params", &c->store_params) < 0 ||
        zc_h5_attr_read_int(id, "num_classes", &c->num_classes) < 0 ||
        zc_h5_attr_read_int(id, "image_h", &c->image_h) < 0 ||
        zc_h5_attr_read_int(id, "image_w", &c->image_w) < 0 ||
        zc_h5_attr_read_str(id, "accuracy_column", c->accuracy_column, sizeof c->accuracy_column,
                            vlen) < 0 ||
        zc_h5_attr_read_str(id, "image_source", c->image_source, sizeof c->image_source, vlen) < 0)
        FAIL_WITH("root %.480s", zc_h5_problem);
    if (zc_terminal_parse_list(terminals, &c->terminals, bad) != 0)
        FAIL_WITH("unknown terminal '%s' in the root attribute 'terminals'", bad);
    if (zc_stats_config_check(c, why, sizeof why) != 0) FAIL_WITH("root attribute %s", why);
    return 0;
fail:
    return -1;
}

int zc_stats_parse_arch_name(const char *name) {
    if (strlen(name) != ZC_STATS_ARCH_DIGITS) return -1;
    int v = 0;
    for (int i = 0; i < ZC_STATS_ARCH_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

int zc_stats_group_complete(hid_t g) {
    int flag = 0;
    if (H5Aexists(g, "complete") <= 0) return 0;
    if (zc_h5_attr_read_int(g, "complete", &flag) < 0) return 0;
    return flag == 1;
}
