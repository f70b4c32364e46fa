/* cmd_spaces.c: `zcevo spaces`: list the design spaces, their number of
 * architectures (from the benchmark tables of the data folder) and where
 * their accuracies come from. A table that cannot be read is listed as
 * "missing" and the command ends with one error line naming the first
 * one and exit status 1. */
#include <stdio.h>
#include <stdlib.h>

#include "common/data/bench_table.h"
#include "common/nets/space.h"
#include "common/util/args.h"
#include "common/util/util.h"
#include "master/cli/commands.h"

int zc_cmd_spaces(int argc, char **argv) {
    const char *data_flag = NULL;
    zc_args a = zc_args_begin("spaces", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help")) {
            printf("usage: zcevo spaces [--data DIR]\n\nList the design spaces, their number "
                   "of architectures and where their accuracies come from. Exit status 1\n"
                   "(after the list) when a benchmark table of the data folder cannot be read.\n");
            return ZC_EXIT_OK;
        } else if (zc_args_opt(&a, "--data")) data_flag = a.value;
        else zc_args_unknown(&a);
    }
    char *data_dir = zc_data_dir(data_flag);
    int n;
    const zc_space_info *spaces = zc_space_list(&n);
    printf("%-22s %8s  %s\n", "space", "archs", "description");
    char first_err[512] = "";
    int missing = 0;
    for (int i = 0; i < n; i++) {
        zc_bench_table t;
        char err[512], rows[32] = "missing";
        if (zc_bench_table_load(data_dir, spaces[i].table, &t, err, sizeof err) == 0) {
            snprintf(rows, sizeof rows, "%d", t.n_rows);
            zc_bench_table_free(&t);
        } else if (missing++ == 0) {
            snprintf(first_err, sizeof first_err, "%s", err);
        }
        printf("%-22s %8s  %s\n", spaces[i].name, rows, spaces[i].description);
    }
    fflush(stdout);
    if (missing)
        zc_die("%d of %d benchmark tables could not be read from the data folder '%s' (first: "
               "%s)", missing, n, data_dir, first_err);
    free(data_dir);
    return ZC_EXIT_OK;
}
