/* test_outputs.c: tests of common/util/outputs.h: same-file detection
 * (hard and symbolic links, relative spellings, files not yet written),
 * folders, lock files (a second taker refused while the first lives, a
 * dead holder's lock reclaimed, another host's lock and a fresh empty lock
 * refused, an old empty lock reclaimed, release only of one's own lock,
 * locks removed at exit), the claim of a command's outputs (exit codes and
 * one-line messages, files untouched) and checked text outputs (a full
 * file system simulated with RLIMIT_FSIZE leaves the old output intact).
 *
 * Usage: test_outputs <scratch folder> */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util/outputs.h"
#include "common/util/util.h"
#include "tests/test_util.h"

static char g_dir[1024];

static char *scratch(const char *name) { return zc_path_join(g_dir, name); }

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) zc_die("cannot write '%s'", path);
}

static char *read_all(const char *path) {
    char err[256];
    return zc_read_text_file(path, "file", NULL, err, sizeof err);
}

static void test_same_file(void) {
    char *a = scratch("a.txt"), *hard = scratch("hard.txt"), *sym = scratch("sym.txt");
    char *sub = scratch("sub"), *none = scratch("none.txt"), *b = scratch("b.txt");
    write_text(a, "x");
    write_text(b, "x");
    unlink(hard);
    unlink(sym);
    CHECK(link(a, hard) == 0 && symlink(a, sym) == 0);
    mkdir(sub, 0755);
    char *dotted = zc_malloc(strlen(g_dir) + 32);
    sprintf(dotted, "%s/sub/../a.txt", g_dir);
    CHECK(zc_same_file(a, hard) && zc_same_file(a, sym) && zc_same_file(a, dotted));
    CHECK(!zc_same_file(a, b));
    /* not yet written: the same canonical path */
    char *none2 = zc_malloc(strlen(g_dir) + 32);
    sprintf(none2, "%s/sub/../none.txt", g_dir);
    CHECK(zc_same_file(none, none2) && !zc_same_file(none, a));
    CHECK(zc_path_inside(a, g_dir) && zc_path_inside(none, g_dir) && !zc_path_inside(g_dir, sub));
    CHECK(!zc_path_inside("/etc/passwd", g_dir));
    free(a), free(hard), free(sym), free(sub), free(none), free(b), free(dotted), free(none2);
}

/* child_takes_lock: a child process takes path's lock, reports through the
 * pipe, then waits for a byte (stay) or exits at once without releasing. */
static pid_t child_takes_lock(const char *path, int report[2], int hold[2]) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[512], c;
        zc_output_lock *l = zc_output_lock_take(path, err, sizeof err);
        c = l ? 'o' : 'f';
        if (write(report[1], &c, 1) != 1) _exit(3);
        if (hold && read(hold[0], &c, 1) != 1) _exit(4);
        _exit(0); /* no release: as if killed */
    }
    return pid;
}

static void test_locks(void) {
    char err[1024];
    char *out = scratch("locked.out"), *lock = scratch("locked.out.lock");
    unlink(lock);
    int report[2], hold[2];
    CHECK(pipe(report) == 0 && pipe(hold) == 0);
    pid_t pid = child_takes_lock(out, report, hold);
    char c = 0;
    CHECK(read(report[0], &c, 1) == 1 && c == 'o');
    zc_output_lock *l = zc_output_lock_take(out, err, sizeof err);
    CHECK_MSG(!l && strstr(err, "locked") && strstr(err, out) && !strchr(err, '\n'), "%s", err);
    printf("held by a live process: %s\n", err);
    CHECK(write(hold[1], &c, 1) == 1);
    int status;
    waitpid(pid, &status, 0);
    CHECK(zc_file_exists(lock)); /* the child died holding it */
    l = zc_output_lock_take(out, err, sizeof err);
    CHECK_MSG(l != NULL, "stale lock reclaimed: %s", err);
    char *text = read_all(lock);
    char mine[64];
    snprintf(mine, sizeof mine, "%ld ", (long)getpid());
    CHECK(text && strncmp(text, mine, strlen(mine)) == 0);
    free(text);
    zc_output_lock_release(l);
    CHECK(!zc_file_exists(lock));

    /* a holder killed but not reaped yet (a zombie, as an MPI rank whose
     * launcher was killed with it): stale, reclaimed */
    pid = child_takes_lock(out, report, NULL);
    CHECK(read(report[0], &c, 1) == 1 && c == 'o');
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0); /* exited, not reaped */
    CHECK(kill(pid, 0) == 0 && zc_file_exists(lock));
    l = zc_output_lock_take(out, err, sizeof err);
    CHECK_MSG(l != NULL, "lock of a zombie reclaimed: %s", err);
    zc_output_lock_release(l);
    waitpid(pid, &status, 0);

    /* another host's lock: refused, kept */
    write_text(lock, "12345 some-other-host\n");
    CHECK(zc_output_lock_take(out, err, sizeof err) == NULL && strstr(err, "some-other-host"));
    printf("other host: %s\n", err);
    CHECK(zc_file_exists(lock));
    /* an empty lock being written right now: refused; an old one: reclaimed */
    write_text(lock, "");
    CHECK(zc_output_lock_take(out, err, sizeof err) == NULL);
    struct timeval old[2] = {{1000, 0}, {1000, 0}};
    CHECK(utimes(lock, old) == 0);
    l = zc_output_lock_take(out, err, sizeof err);
    CHECK_MSG(l != NULL, "old empty lock: %s", err);
    /* release removes only this process's lock */
    write_text(lock, "1 elsewhere\n");
    zc_output_lock_release(l);
    CHECK(zc_file_exists(lock));
    unlink(lock);
    /* unwritable folder: the lock is the probe */
    CHECK(zc_output_lock_take("/nonexistent-zcevo/x.csv", err, sizeof err) == NULL &&
          strstr(err, "/nonexistent-zcevo/x.csv") && strstr(err, "No such file"));
    printf("missing folder: %s\n", err);
    /* a lock still held at exit() is removed; _exit leaves it (a kill) */
    fflush(NULL);
    if ((pid = fork()) == 0) {
        if (!zc_output_lock_take(out, err, sizeof err)) _exit(3);
        exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && !zc_file_exists(lock));
    for (int i = 0; i < 2; i++) close(report[i]), close(hold[i]);
    free(out);
    free(lock);
}

/* claim_status: run zc_outputs_claim on o in a child; its exit status (0
 * when it returned) and its stderr line into line. */
static int claim_status(zc_outputs *o, char *line, size_t n) {
    char *errfile = scratch("claim.err");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        zc_outputs_claim(o);
        zc_outputs_release(o);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    char *text = read_all(errfile);
    snprintf(line, n, "%s", text ? text : "");
    free(text);
    free(errfile);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int refuse_all(const char *path, void *ctx, char *why, size_t n) {
    (void)path, (void)ctx;
    return zc_fail(why, n, "is not an output of this kind");
}

static void test_claim(void) {
    char line[2048];
    char *in = scratch("input.h5"), *out = scratch("out.csv"), *kept = scratch("kept.csv");
    char *empty = scratch("empty.csv"), *datadir = scratch("data"), *indata = scratch("data/x.csv");
    write_text(in, "input bytes");
    write_text(kept, "someone else's table\n");
    write_text(empty, "");
    mkdir(datadir, 0755);
    unlink(out);
    zc_outputs o;
    /* an output that is an input: exit 1, input untouched */
    zc_outputs_init(&o, "score");
    zc_outputs_read(&o, in);
    zc_outputs_write(&o, "--csv", in, NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 1 && strstr(line, "same file as the input"));
    printf("input as output: %s", line);
    char *text = read_all(in);
    CHECK(text && strcmp(text, "input bytes") == 0);
    free(text);
    /* two options naming one file, an empty name: usage (exit 2) */
    zc_outputs_init(&o, "proxies");
    zc_outputs_write(&o, "--out-csv", out, NULL, NULL);
    zc_outputs_write(&o, "--out-h5", out, NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 2 && strstr(line, "name the same file"));
    zc_outputs_init(&o, "stats");
    zc_outputs_write(&o, "--out", "", NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 2 && strstr(line, "--out needs a file name"));
    /* inside an input folder; a folder; a file the check refuses */
    zc_outputs_init(&o, "stats");
    zc_outputs_read_dir(&o, datadir);
    zc_outputs_write(&o, "--out", indata, NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 1 && strstr(line, "inside the folder"));
    zc_outputs_init(&o, "stats");
    zc_outputs_write(&o, "--out", datadir, NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 1 && strstr(line, "is a folder"));
    zc_outputs_init(&o, "proxies");
    zc_outputs_write(&o, "--out-csv", kept, refuse_all, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 1 && strstr(line, "not an output of this kind"));
    text = read_all(kept);
    CHECK(text && strcmp(text, "someone else's table\n") == 0);
    free(text);
    /* an empty file is replaceable; a good claim takes and releases locks */
    zc_outputs_init(&o, "proxies");
    zc_outputs_write(&o, "--out-csv", empty, refuse_all, NULL);
    zc_outputs_write(&o, "--out-corr", out, NULL, NULL);
    CHECK(claim_status(&o, line, sizeof line) == 0);
    char *lock = scratch("out.csv.lock");
    CHECK(!zc_file_exists(lock));
    free(lock), free(in), free(out), free(kept), free(empty), free(datadir), free(indata);
}

static void test_text_output(void) {
    char err[1024];
    char *out = scratch("text.csv");
    write_text(out, "old complete output\n");
    zc_text_output t;
    CHECK(zc_text_output_open(&t, out, err, sizeof err) == 0);
    fprintf(t.f, "new\n");
    CHECK(zc_text_output_commit(&t, err, sizeof err) == 0);
    char *text = read_all(out);
    CHECK(text && strcmp(text, "new\n") == 0);
    free(text);
    /* a file system that fills up: the commit fails, the old file stays */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit r = {2000, 2000};
        setrlimit(RLIMIT_FSIZE, &r);
        zc_text_output u;
        if (zc_text_output_open(&u, out, err, sizeof err) != 0) _exit(3);
        for (int i = 0; i < 1000; i++) fprintf(u.f, "line %d of a long output\n", i);
        int rc = zc_text_output_commit(&u, err, sizeof err);
        printf("full disk: %s\n", err);
        fflush(stdout);
        _exit(rc == -1 && strstr(err, out) && strstr(err, "File too large") ? 0 : 5);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    text = read_all(out);
    CHECK(text && strcmp(text, "new\n") == 0);
    free(text);
    char *tmp = zc_malloc(strlen(out) + 32);
    sprintf(tmp, "%s.tmp.%ld", out, (long)pid);
    CHECK(!zc_file_exists(tmp));
    free(tmp);
    /* an unwritable folder */
    CHECK(zc_text_output_open(&t, "/nonexistent-zcevo/t.csv", err, sizeof err) == -1 &&
          strstr(err, "/nonexistent-zcevo/t.csv"));
    free(out);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <scratch folder>\n", argv[0]);
        return 2;
    }
    snprintf(g_dir, sizeof g_dir, "%s", argv[1]);
    mkdir(g_dir, 0755);
    test_same_file();
    test_locks();
    test_claim();
    test_text_output();
    TEST_EXIT();
}
