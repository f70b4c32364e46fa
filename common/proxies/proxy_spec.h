/* proxy_spec.h: one proxy, whatever its kind, and the scoring of table
 * rows of a task with it. A proxy is named on the command line as
 *   - a hand-crafted proxy of proxies.h ("nwot", "synflow", "eznas_a", ...),
 *     computed by proxies_job.h on the task's minibatch;
 *   - a named program of program.h ("eznas-a", ...) or a program text
 *     ("frobenius(sigmoid(logdet(sign(inpact_grad_data))))"), evaluated on
 *     the EZNAS statistics of the task (stats_job.h) keeping only the
 *     terminals the program reads, as on-the-fly `zcevo score` does.
 * A value depends only on the task (space, dataset, batch, seed, image
 * size), the proxy and the architecture, never on the thread or rank that
 * computed it; NaN or +-inf where the proxy is invalid on the network. */
#ifndef ZC_PROXY_SPEC_H
#define ZC_PROXY_SPEC_H

#include <stddef.h>

#include "common/data/task.h"
#include "common/program/program.h"
#include "common/proxies/proxies.h"

typedef enum { ZC_PROXY_HANDCRAFTED, ZC_PROXY_PROGRAM } zc_proxy_kind;

typedef struct {
    zc_proxy_kind kind;
    int id;                      /* hand-crafted: the zc_proxy_id          */
    zc_program program;          /* program: its postfix form              */
    zc_terminal_mask terminals;  /* program: the terminals it reads        */
    char name[128];              /* as given (a name, or the program text) */
    char text[1024];             /* what is computed: the proxy's name, or
                                    the printed program (same for a name
                                    and its text): the key of score caches */
} zc_proxy_spec;

/* zc_proxy_spec_parse: `text` as a hand-crafted proxy name, else a named
 * program, else a program text. Returns 0, or -1 with one line in err
 * naming the text and the parse error. */
int zc_proxy_spec_parse(const char *text, zc_proxy_spec *spec, char *err, size_t errlen);

/* zc_proxy_spec_default_batch: the minibatch the proxy is usually computed
 * at: 64 for hand-crafted proxies (NAS-Bench-Suite-Zero), 16 for programs
 * (EZNAS). */
int zc_proxy_spec_default_batch(const zc_proxy_spec *spec);

/* A proxy set up on a task: what scoring reads (the task, zen's inputs). */
typedef struct zc_proxy_scorer zc_proxy_scorer;

/* zc_proxy_scorer_new: the scorer of spec on task (both must outlive it);
 * torch_init 1 draws PyTorch's default initialisation on top of the
 * space's (hand-crafted proxies only, as `zcevo proxies --init torch`). */
zc_proxy_scorer *zc_proxy_scorer_new(const zc_task *task, const zc_proxy_spec *spec,
                                     int torch_init);
void zc_proxy_scorer_free(zc_proxy_scorer *s);

/* zc_proxy_scored_fn: one finished row and its value (serialised calls,
 * in completion order). */
typedef void (*zc_proxy_scored_fn)(void *ctx, int row, double value);

/* zc_proxy_scorer_run: the values of table rows rows[0..n) with `threads`
 * threads (one architecture per thread), passed to done(ctx, row, value)
 * as each finishes. Several runs may go on at once on one scorer (e.g.
 * one per thread of an MPI worker). Returns 0, or -1 with err (the first
 * failure: a network that cannot be built, labels that do not fit it);
 * rows finishing after a failure are not passed on. */
int zc_proxy_scorer_run(const zc_proxy_scorer *s, const int *rows, int n, int threads,
                        zc_proxy_scored_fn done, void *ctx, char *err, size_t errlen);

#endif
