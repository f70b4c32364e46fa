/* cmd_report.c: `zcevo report RUN_DIR...`: run scripts/report.py (Debian's
 * python3 with matplotlib) on run folders to draw the figures and write the
 * Markdown page. The script is $ZCEVO_REPORT_SCRIPT, else scripts/report.py
 * in the folder above the executable's, else in the source tree the binary
 * was built from (ZCEVO_SOURCE_DIR; the current folder if not defined). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/util.h"
#include "master/cli/commands.h"

#ifndef ZCEVO_SOURCE_DIR
#define ZCEVO_SOURCE_DIR "."
#endif

/* report_script: $ZCEVO_REPORT_SCRIPT, else scripts/report.py above the
 * executable's folder, else under ZCEVO_SOURCE_DIR (into path). */
static const char *report_script(char *path, size_t pathlen) {
    const char *script = getenv("ZCEVO_REPORT_SCRIPT");
    if (script) return script;
    char exe[800];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(path, pathlen, "%s/../scripts/report.py", exe);
    if (!zc_file_exists(path)) snprintf(path, pathlen, "%s/scripts/report.py", ZCEVO_SOURCE_DIR);
    return path;
}

int zc_cmd_report(int argc, char **argv) {
    char path[1024];
    const char *script = report_script(path, sizeof path);
    if (!zc_file_exists(script))
        zc_die("report script '%s' not found (set ZCEVO_REPORT_SCRIPT)", script);
    const char *python = getenv("ZCEVO_PYTHON");
    if (!python) python = zc_file_exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    char **args = zc_calloc((size_t)argc + 3, sizeof(char *));
    args[0] = (char *)python;
    args[1] = (char *)script;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    fflush(stdout);
    execvp(python, args);
    zc_die("cannot run '%s %s'", python, script);
}
