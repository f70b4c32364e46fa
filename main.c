/* main.c: the zcevo executable: dispatch to a subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "common/util/util.h"
#include "master/cli/commands.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command k_commands[] = {
    {"evolve", zc_cmd_evolve, "evolve proxy programs by genetic programming (the main job)"},
    {"stats", zc_cmd_stats, "compute EZNAS per-layer statistics into an HDF5 cache"},
    {"bench", zc_cmd_bench, "benchmarks: program evaluation throughput (bench eval)"},
    {"spaces", zc_cmd_spaces, "list the design spaces and their data"},
    {"score", zc_cmd_score, "score proxy programs: Kendall tau and Spearman rho vs accuracy"},
    {"proxies", zc_cmd_proxies, "hand-crafted zero-cost proxies and their correlation table"},
    {"search", zc_cmd_search, "find architectures with a proxy (random, evolution, zc-pt)"},
    {"report", zc_cmd_report, "figures and a Markdown page from proxies/evolve/search run folders"},
    {"export", zc_cmd_export, "a program as a self-contained PyTorch or SymPy file"},
};

static void usage(FILE *f) {
    fprintf(f,
            "zcevo: zero-cost proxy discovery by genetic programming\n\n"
            "usage: zcevo <command> [options]   (zcevo <command> --help for details)\n\n"
            "commands:\n");
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_commands); i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f,
            "\ndata folder: --data DIR, else $ZCEVO_DATA, else ../shared/data\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 checkpointed (resume me), 4 worker lost\n");
}

int main(int argc, char **argv) {
    /* Networks and statistics are large, short-lived buffers of similar
     * sizes: keep freed memory in the heap for the next architecture instead
     * of returning it to the kernel (which makes every network page-fault
     * all its memory again). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? ZC_EXIT_USAGE : ZC_EXIT_OK;
    }
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_commands); i++)
        if (strcmp(argv[1], k_commands[i].name) == 0)
            return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "zcevo: error: unknown command '%s' (see zcevo --help)\n", argv[1]);
    return ZC_EXIT_USAGE;
}
