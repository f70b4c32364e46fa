/* cmd_report.c: `zcevo report RUN_DIR...`: run scripts/report.py (Debian's
 * python3 with matplotlib) on run folders to draw the figures and write the
 * Markdown page; the script validates its inputs and reports errors as one
 * line (exit 1, or 2 for wrong flags).
 *
 * The script is the first of: $ZCEVO_REPORT_SCRIPT; the installed copy
 * <bin>/../share/zcevo/report.py (ZCEVO_REPORT_INSTALL_REL, `cmake
 * --install`); <bin>/../scripts/report.py (a build folder inside the source
 * tree); ZCEVO_SOURCE_DIR/scripts/report.py (the source tree this binary was
 * built from, defined by CMake), where <bin> is the executable's folder. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/util.h"
#include "master/cli/commands.h"

#ifndef ZCEVO_SOURCE_DIR
#define ZCEVO_SOURCE_DIR "."
#endif
#ifndef ZCEVO_REPORT_INSTALL_REL
#define ZCEVO_REPORT_INSTALL_REL "../share/zcevo/report.py"
#endif

/* exe_dir: the folder of the running executable into dir (empty string
 * when /proc/self/exe cannot be read). */
static void exe_dir(char *dir, size_t len) {
    ssize_t n = readlink("/proc/self/exe", dir, len - 1);
    dir[n > 0 ? n : 0] = 0;
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else dir[0] = 0;
}

/* report_script: the path of report.py by the rules above (malloc'd).
 * Errors (zc_die, exit 1): $ZCEVO_REPORT_SCRIPT names no file; no candidate
 * exists (the message lists them). */
static char *report_script(void) {
    const char *script = getenv("ZCEVO_REPORT_SCRIPT");
    if (script) {
        if (!zc_file_exists(script))
            zc_die("report script '%s' (ZCEVO_REPORT_SCRIPT) does not exist", script);
        return zc_strdup(script);
    }
    char dir[PATH_MAX];
    exe_dir(dir, sizeof dir);
    char candidates[3][PATH_MAX + 64];
    snprintf(candidates[0], sizeof candidates[0], "%s/%s", dir, ZCEVO_REPORT_INSTALL_REL);
    snprintf(candidates[1], sizeof candidates[1], "%s/../scripts/report.py", dir);
    snprintf(candidates[2], sizeof candidates[2], "%s/scripts/report.py", ZCEVO_SOURCE_DIR);
    for (int i = dir[0] ? 0 : 2; i < 3; i++)
        if (zc_file_exists(candidates[i])) return zc_strdup(candidates[i]);
    zc_die("report script not found: none of '%s', '%s', '%s' exists (set "
           "ZCEVO_REPORT_SCRIPT)", candidates[0], candidates[1], candidates[2]);
}

int zc_cmd_report(int argc, char **argv) {
    char *script = report_script();
    const char *python = getenv("ZCEVO_PYTHON");
    if (!python) python = zc_file_exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    char **args = zc_calloc((size_t)argc + 3, sizeof(char *));
    args[0] = (char *)python;
    args[1] = script;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    fflush(stdout);
    execvp(python, args);
    zc_die("cannot run '%s %s' (ZCEVO_PYTHON; Debian: python3)", python, script);
}
