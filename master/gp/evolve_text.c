/* evolve_text.c: the text files of an evolve run folder: a growing text
 * buffer, whole-file reads, atomic writes, the folder itself and
 * hall_of_fame.txt (see evolve_internal.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/outputs.h"
#include "common/util/util.h"
#include "master/gp/evolve_internal.h"

void zc_text_printf(zc_text *s, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (s->buf && s->len + (size_t)n < s->cap) {
            s->len += (size_t)n;
            return;
        }
        s->cap = (s->cap + (size_t)n + 1) * 2;
        s->buf = zc_realloc(s->buf, s->cap);
        if (s->len == 0) s->buf[0] = 0;
    }
}

void zc_text_free(zc_text *s) {
    free(s->buf);
    memset(s, 0, sizeof *s);
}

char *zc_evolve_read_text(const char *path) {
    char err[1200];
    size_t len = 0;
    if (access(path, F_OK) != 0 && errno == ENOENT) return NULL;
    char *text = zc_read_text_file(path, "run folder file", &len, err, sizeof err);
    if (!text) zc_die("%s", err);
    if (strlen(text) != len) zc_die("run folder file '%s' holds a NUL byte (damaged)", path);
    return text;
}

void zc_evolve_write_text(const char *path, const char *text) {
    zc_write_file_atomic(path, text, strlen(text));
}

void zc_evolve_write_hall_of_fame(const char *run_dir, const zc_gp_state *st) {
    zc_text s = {0};
    zc_text_printf(&s, "# rank\tfitness\tprogram\n");
    for (int i = 0; i < st->hof_n; i++) {
        char text[4096];
        zc_program_print_names(&st->hof[i].prog, zc_gp_config_term_names(&st->config), text,
                               sizeof text);
        zc_text_printf(&s, "%d\t%.6f\t%s\n", i + 1, st->hof[i].fitness, text);
    }
    char *path = zc_path_join(run_dir, "hall_of_fame.txt");
    zc_evolve_write_text(path, s.buf);
    free(path);
    zc_text_free(&s);
}
