/* fuzz_replay.c: a main for the harnesses when they are not linked with
 * libFuzzer (the gcc build): runs LLVMFuzzerTestOneInput once on every file
 * named on the command line and on every file of every folder named, in
 * name order. A broken invariant aborts (the test fails, naming the input
 * on stderr just before). Exit 0 after at least one input; 1 when there was
 * none or an argument cannot be read. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

/* run_file: the harness on one file's bytes; 0, or -1 when unreadable. */
static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    fprintf(stderr, "input %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* run_dir: every regular file of dir; the number run, or -1. */
static int run_dir(const char *dir) {
    struct dirent **list;
    int n = scandir(dir, &list, NULL, by_name), ran = 0;
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) == 0) ran++;
        free(list[i]);
    }
    free(list);
    return ran;
}

int main(int argc, char **argv) {
    int total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int ran = stat(argv[i], &st) != 0 ? -1
                  : S_ISDIR(st.st_mode)   ? run_dir(argv[i])
                                          : (run_file(argv[i]) == 0 ? 1 : -1);
        if (ran < 0) {
            fprintf(stderr, "fuzz replay: cannot read '%s'\n", argv[i]);
            return 1;
        }
        total += ran;
    }
    printf("fuzz replay: %d inputs, no invariant broken\n", total);
    return total > 0 ? 0 : 1;
}
