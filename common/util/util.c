/* util.c: implementation of util.h (errors, allocation, time, paths). */
#include "common/util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*g_die_hook)(int) = NULL;

void zc_set_die_hook(void (*fn)(int code)) { g_die_hook = fn; }

static void vreport(const char *kind, const char *fmt, va_list ap) {
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    /* one line: replace embedded newlines */
    for (char *p = line; *p; p++)
        if (*p == '\n') *p = ' ';
    fprintf(stderr, "zcevo: %s: %s\n", kind, line);
    fflush(stderr);
}

void zc_die_code(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("error", fmt, ap);
    va_end(ap);
    if (g_die_hook) g_die_hook(code);
    exit(code);
}

void zc_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("error", fmt, ap);
    va_end(ap);
    if (g_die_hook) g_die_hook(ZC_EXIT_ERROR);
    exit(ZC_EXIT_ERROR);
}

void zc_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("warning", fmt, ap);
    va_end(ap);
}

void *zc_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) zc_die("out of memory allocating %zu bytes", bytes);
    return p;
}

void *zc_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) zc_die("out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *zc_realloc(void *p, size_t bytes) {
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) zc_die("out of memory reallocating %zu bytes", bytes);
    return q;
}

char *zc_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = zc_malloc(n);
    memcpy(d, s, n);
    return d;
}

double zc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *zc_format_bytes(double bytes, char *buf) {
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, 32, u ? "%.2f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

double zc_resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0.0;
    long size = 0, resident = 0;
    int got = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    if (got != 2) return 0.0;
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

double zc_peak_resident_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss * 1024.0; /* kilobytes on Linux */
}

char *zc_format_duration(double s, char *buf) {
    if (s < 0 || s != s) snprintf(buf, 32, "?");
    else if (s < 60) snprintf(buf, 32, "%.1fs", s);
    else if (s < 3600) snprintf(buf, 32, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else snprintf(buf, 32, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
    return buf;
}

char *zc_path_join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *p = zc_malloc(na + nb + 2);
    memcpy(p, a, na);
    size_t k = na;
    if (k && p[k - 1] != '/') p[k++] = '/';
    memcpy(p + k, b, nb + 1);
    return p;
}

char *zc_data_dir(const char *flag_value) {
    const char *src = "--data";
    const char *dir = flag_value;
    if (!dir || !*dir) {
        dir = getenv("ZCEVO_DATA");
        src = "ZCEVO_DATA";
    }
    if (!dir || !*dir) {
        dir = "../shared/data";
        src = "the default";
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        zc_die("data folder '%s' (from %s) does not exist; pass --data DIR or set "
               "ZCEVO_DATA",
               dir, src);
    return zc_strdup(dir);
}

int zc_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void zc_sleep_ns(long ns) {
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

void zc_print_progress(const char *label, int done, int n, double t0, const char *suffix) {
    double el = zc_now() - t0, rate = done / (el > 0 ? el : 1e-9);
    char eta[32], elapsed[32];
    zc_format_duration((n - done) / (rate > 0 ? rate : 1e-9), eta);
    zc_format_duration(el, elapsed);
    fprintf(stderr, "%s: %d/%d architectures, %.2f arch/s, elapsed %s, ETA %s%s\n", label, done,
            n, rate, elapsed, done >= n ? "0s" : eta, suffix ? suffix : "");
}

void zc_fput_csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int zc_fsync_rename(const char *tmp_path, const char *final_path) {
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0) return -1;
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    if (rename(tmp_path, final_path) != 0) return -1;
    char *copy = zc_strdup(final_path);
    int dfd = open(dirname(copy), O_RDONLY);
    free(copy);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

uint64_t zc_hash64(const void *data, size_t n, uint64_t seed) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

int zc_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

char *zc_read_text_file(const char *path, const char *what, size_t *len_out, char *err,
                        size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        zc_fail(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *text = zc_malloc(cap + 1);
    for (;;) {
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len < cap) break;
        cap *= 2;
        text = zc_realloc(text, cap + 1);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        zc_fail(err, errlen, "cannot read %s '%s'", what, path);
        return NULL;
    }
    text[len] = '\0';
    if (len_out) *len_out = len;
    return text;
}

int zc_mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(buf, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}
