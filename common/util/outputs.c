/* outputs.c: output safety (see outputs.h): same-file tests, the claim of
 * a command's outputs, lock files with stale-lock reclaim, and checked
 * atomic text outputs. */
#include "common/util/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util/args.h"
#include "common/util/util.h"

/* A lock file younger than this with no "pid host" in it is being
 * created by another process; older, it was left by a crash. */
#define LOCK_FRESH_SECONDS 10

/* ---- paths ------------------------------------------------------------ */

/* canonical_path: realpath of path, or of its folder plus its name when
 * the file does not exist, or a copy of path (malloc'd). */
static char *canonical_path(const char *path) {
    char *r = realpath(path, NULL);
    if (r) return r;
    char *dir_copy = zc_strdup(path), *base_copy = zc_strdup(path);
    char *dir = realpath(dirname(dir_copy), NULL);
    char *out = dir ? zc_path_join(dir, basename(base_copy)) : zc_strdup(path);
    free(dir);
    free(dir_copy);
    free(base_copy);
    return out;
}

int zc_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb) return 0;
    char *ca = canonical_path(a), *cb = canonical_path(b);
    int same = strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return same;
}

int zc_path_inside(const char *path, const char *dir) {
    char *cp = canonical_path(path), *cd = canonical_path(dir);
    size_t n = strlen(cd);
    int inside = strncmp(cp, cd, n) == 0 && (cp[n] == '/' || (n > 0 && cd[n - 1] == '/'));
    free(cp);
    free(cd);
    return inside;
}

/* ---- lock files -------------------------------------------------------- */

struct zc_output_lock {
    char *path; /* "<output>.lock" */
    pid_t pid;
};

/* The locks this process holds, removed at exit. */
static zc_output_lock *g_held[16];
static int g_atexit_set = 0;

/* lock_holder: the "pid host" in lock file path. 0 when it parses; 1 when
 * it is empty or garbled (*age = its age in seconds); -1 when it is gone. */
static int lock_holder(const char *path, long *pid, char *host, size_t hostlen, double *age) {
    char text[320];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    struct stat st;
    *age = fstat(fd, &st) == 0 ? difftime(time(NULL), st.st_mtime) : 0;
    close(fd);
    text[n > 0 ? n : 0] = 0;
    char name[256];
    if (sscanf(text, "%ld %255s", pid, name) != 2 || *pid <= 0) return 1;
    snprintf(host, hostlen, "%s", name);
    return 0;
}

static void this_host(char *host, size_t n) {
    if (gethostname(host, n) != 0) snprintf(host, n, "unknown");
    host[n - 1] = 0;
}

static void remove_held_locks(void) {
    for (size_t i = 0; i < ZC_ARRAY_LEN(g_held); i++)
        if (g_held[i] && g_held[i]->pid == getpid()) unlink(g_held[i]->path);
}

/* write_lock: create lock_path exclusively with "pid host". 0, or -1 with
 * errno (EEXIST: held). */
static int write_lock(const char *lock_path) {
    char text[320], host[256];
    this_host(host, sizeof host);
    int len = snprintf(text, sizeof text, "%ld %s\n", (long)getpid(), host);
    int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return -1;
    if (write(fd, text, (size_t)len) != len || close(fd) != 0) {
        int e = errno ? errno : EIO;
        unlink(lock_path);
        errno = e;
        return -1;
    }
    return 0;
}

/* reclaim_stale: remove lock_path if it still holds the dead holder's
 * "pid host" (or is still garbled), one reclaimer at a time (a second
 * lock, "<lock>.reclaim"). Returns 1 when removed. */
static int reclaim_stale(const char *lock_path, long dead_pid) {
    char *guard = zc_malloc(strlen(lock_path) + 16);
    sprintf(guard, "%s.reclaim", lock_path);
    long pid = 0;
    char host[256];
    double age = 0;
    if (write_lock(guard) != 0) {
        /* another reclaimer, or one that crashed long ago */
        if (errno == EEXIST && lock_holder(guard, &pid, host, sizeof host, &age) >= 0 &&
            age > LOCK_FRESH_SECONDS)
            unlink(guard);
        free(guard);
        return 0;
    }
    int removed = 0;
    int r = lock_holder(lock_path, &pid, host, sizeof host, &age);
    if ((r == 0 && pid == dead_pid) || (r == 1 && dead_pid == 0 && age > LOCK_FRESH_SECONDS))
        removed = unlink(lock_path) == 0;
    unlink(guard);
    free(guard);
    return removed;
}

/* holder_alive: 1 when process pid of this host runs: it exists
 * (kill(pid, 0)) and is not a zombie (state Z or X in /proc/pid/stat: a
 * killed process its parent has not reaped yet, e.g. an MPI rank whose
 * launcher was killed with it). */
static int holder_alive(long pid) {
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return 0;
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 1; /* no /proc: trust kill() */
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    const char *paren = strrchr(text, ')'); /* "pid (comm) S ..." */
    if (!paren || paren[1] != ' ') return 1;
    return paren[2] != 'Z' && paren[2] != 'X';
}

/* lock_refusal: err for a lock held by (pid, host); 1 when the lock is
 * stale (a dead process of this host, or garbled and old) instead. */
static int lock_refusal(const char *path, const char *lock_path, int parsed, long pid,
                        const char *host, double age, char *err, size_t errlen) {
    char me[256];
    this_host(me, sizeof me);
    if (parsed == 1) {
        if (age > LOCK_FRESH_SECONDS) return 1;
        zc_fail(err, errlen, "output '%s' is being claimed by another process (lock file "
                "'%s'); try again", path, lock_path);
    } else if (strcmp(host, me) != 0) {
        zc_fail(err, errlen, "output '%s' is locked by process %ld on host %s (lock file '%s'); "
                "if no zcevo run there uses it, delete the lock file", path, pid, host,
                lock_path);
    } else if (holder_alive(pid)) {
        zc_fail(err, errlen, "output '%s' is locked by another zcevo process (pid %ld, lock file "
                "'%s'); wait for it to finish or choose another output", path, pid, lock_path);
    } else {
        return 1;
    }
    return 0;
}

/* register_lock: remember l for the exit handler. */
static void register_lock(zc_output_lock *l) {
    if (!g_atexit_set) g_atexit_set = atexit(remove_held_locks) == 0;
    for (size_t i = 0; i < ZC_ARRAY_LEN(g_held); i++)
        if (!g_held[i]) {
            g_held[i] = l;
            return;
        }
}

zc_output_lock *zc_output_lock_take(const char *path, char *err, size_t errlen) {
    char *lock_path = zc_malloc(strlen(path) + 8);
    sprintf(lock_path, "%s.lock", path);
    for (int attempt = 0; attempt < 3; attempt++) {
        if (write_lock(lock_path) == 0) {
            zc_output_lock *l = zc_malloc(sizeof *l);
            l->path = lock_path;
            l->pid = getpid();
            register_lock(l);
            return l;
        }
        if (errno != EEXIST) {
            zc_fail(err, errlen, "cannot write output '%s': cannot create '%s': %s", path,
                    lock_path, strerror(errno));
            break;
        }
        long pid = 0;
        char host[256] = "";
        double age = 0;
        int parsed = lock_holder(lock_path, &pid, host, sizeof host, &age);
        if (parsed < 0) continue; /* released meanwhile */
        if (!lock_refusal(path, lock_path, parsed, pid, host, age, err, errlen)) break;
        if (reclaim_stale(lock_path, parsed == 0 ? pid : 0)) {
            if (parsed == 0)
                zc_warn("removed the stale lock '%s' of process %ld, which no longer runs",
                        lock_path, pid);
            else
                zc_warn("removed the stale, empty lock '%s' (a process crashed while taking it)",
                        lock_path);
        }
        zc_fail(err, errlen, "output '%s' is locked ('%s'); try again", path, lock_path);
    }
    free(lock_path);
    return NULL;
}

void zc_output_lock_release(zc_output_lock *l) {
    if (!l) return;
    long pid = 0;
    char host[256];
    double age;
    if (lock_holder(l->path, &pid, host, sizeof host, &age) == 0 && pid == (long)getpid())
        unlink(l->path);
    for (size_t i = 0; i < ZC_ARRAY_LEN(g_held); i++)
        if (g_held[i] == l) g_held[i] = NULL;
    free(l->path);
    free(l);
}

/* ---- a command's outputs ------------------------------------------------ */

void zc_outputs_init(zc_outputs *o, const char *command) {
    memset(o, 0, sizeof *o);
    o->command = command;
}

void zc_outputs_read(zc_outputs *o, const char *path) {
    if (path && o->n_in < ZC_OUTPUTS_MAX_IN) o->in[o->n_in++] = path;
}

void zc_outputs_read_dir(zc_outputs *o, const char *dir) {
    if (dir && o->n_dirs < ZC_OUTPUTS_MAX_DIRS) o->dirs[o->n_dirs++] = dir;
}

static void add_output(zc_outputs *o, const char *flag, const char *path,
                       zc_output_check_fn check, void *ctx, int lock) {
    ZC_ASSERT(o->n_out < ZC_OUTPUTS_MAX_OUT);
    int i = o->n_out++;
    o->out[i].flag = flag;
    o->out[i].path = path;
    o->out[i].check = check;
    o->out[i].ctx = ctx;
    o->out[i].lock = lock;
    o->out[i].held = NULL;
}

void zc_outputs_write(zc_outputs *o, const char *flag, const char *path,
                      zc_output_check_fn check, void *ctx) {
    add_output(o, flag, path, check, ctx, 1);
}

void zc_outputs_write_unlocked(zc_outputs *o, const char *flag, const char *path,
                               zc_output_check_fn check, void *ctx) {
    add_output(o, flag, path, check, ctx, 0);
}

/* check_names: empty names and two options naming one file (usage). */
static void check_names(const zc_outputs *o) {
    for (int i = 0; i < o->n_out; i++) {
        if (!o->out[i].path[0])
            zc_usage_error(o->command, "%s needs a file name, got ''", o->out[i].flag);
        for (int j = 0; j < i; j++)
            if (zc_same_file(o->out[i].path, o->out[j].path))
                zc_usage_error(o->command, "%s '%s' and %s '%s' name the same file",
                               o->out[j].flag, o->out[j].path, o->out[i].flag, o->out[i].path);
    }
}

/* check_not_input: the output is no input and lies in no input folder. */
static void check_not_input(const zc_outputs *o, const char *flag, const char *path) {
    for (int k = 0; k < o->n_in; k++)
        if (zc_same_file(path, o->in[k]))
            zc_die("output '%s' (%s) is the same file as the input '%s' of this command; "
                   "refusing to overwrite an input; choose another %s",
                   path, flag, o->in[k], flag);
    for (int k = 0; k < o->n_dirs; k++)
        if (zc_path_inside(path, o->dirs[k]))
            zc_die("output '%s' (%s) lies inside the folder '%s' this command reads; write it "
                   "elsewhere",
                   path, flag, o->dirs[k]);
}

/* check_existing: a folder is refused; a non-empty file must pass check. */
static void check_existing(const char *flag, const char *path, zc_output_check_fn check,
                           void *ctx) {
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode))
        zc_die("output '%s' (%s) is a folder; give a file name", path, flag);
    if (!S_ISREG(st.st_mode))
        zc_die("output '%s' (%s) exists and is not a regular file; choose another %s", path, flag,
               flag);
    char why[768];
    if (st.st_size > 0 && check && check(path, ctx, why, sizeof why) != 0)
        zc_die("output '%s' (%s) exists and %s; refusing to replace it; delete it or choose "
               "another %s",
               path, flag, why, flag);
}

void zc_outputs_claim(zc_outputs *o) {
    check_names(o);
    for (int i = 0; i < o->n_out; i++) {
        check_not_input(o, o->out[i].flag, o->out[i].path);
        check_existing(o->out[i].flag, o->out[i].path, o->out[i].check, o->out[i].ctx);
    }
    for (int i = 0; i < o->n_out; i++) {
        if (!o->out[i].lock) continue;
        char err[1024];
        o->out[i].held = zc_output_lock_take(o->out[i].path, err, sizeof err);
        if (!o->out[i].held) zc_die("%s", err);
    }
}

void zc_outputs_release(zc_outputs *o) {
    for (int i = 0; i < o->n_out; i++) {
        zc_output_lock_release(o->out[i].held);
        o->out[i].held = NULL;
    }
}

int zc_output_first_line(const char *path, char *buf, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t len = 0;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n' && len + 1 < n) buf[len++] = (char)c;
    fclose(f);
    if (len > 0 && buf[len - 1] == '\r') len--;
    buf[len] = 0;
    return memchr(buf, 0, len) ? -1 : (int)len;
}

/* ---- text outputs ------------------------------------------------------- */

int zc_text_output_open(zc_text_output *t, const char *path, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    t->path = zc_strdup(path);
    t->tmp = zc_malloc(strlen(path) + 32);
    sprintf(t->tmp, "%s.tmp.%ld", path, (long)getpid());
    t->f = fopen(t->tmp, "w");
    if (!t->f) {
        zc_fail(err, errlen, "cannot write output '%s': cannot create '%s': %s", path, t->tmp,
                strerror(errno));
        free(t->path);
        free(t->tmp);
        memset(t, 0, sizeof *t);
        return -1;
    }
    return 0;
}

int zc_text_output_commit(zc_text_output *t, char *err, size_t errlen) {
    int e = ferror(t->f) ? (errno ? errno : EIO) : 0; /* errno of the failed write */
    if (!e && fflush(t->f) != 0) e = errno;
    if (!e && fsync(fileno(t->f)) != 0) e = errno;
    if (fclose(t->f) != 0 && !e) e = errno ? errno : EIO;
    t->f = NULL;
    if (!e && zc_fsync_rename(t->tmp, t->path) != 0) e = errno ? errno : EIO;
    int rc = 0;
    if (e) {
        unlink(t->tmp);
        rc = zc_fail(err, errlen, "cannot write output '%s': %s (left as it was)", t->path,
                     strerror(e));
    }
    free(t->path);
    free(t->tmp);
    memset(t, 0, sizeof *t);
    return rc;
}

void zc_text_output_abandon(zc_text_output *t) {
    if (t->f) fclose(t->f);
    if (t->tmp) unlink(t->tmp);
    free(t->path);
    free(t->tmp);
    memset(t, 0, sizeof *t);
}

void zc_write_file_atomic(const char *path, const char *buf, size_t len) {
    char err[1200];
    zc_text_output out;
    if (zc_text_output_open(&out, path, err, sizeof err) != 0) zc_die("%s", err);
    if (fwrite(buf, 1, len, out.f) != len) {
        zc_text_output_abandon(&out);
        zc_die("cannot write '%s'", path);
    }
    if (zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
}
