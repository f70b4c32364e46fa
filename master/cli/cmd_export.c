/* cmd_export.c: `zcevo export`: a program as a self-contained Python file:
 * for PyTorch (a function that scores any torch.nn.Module on a minibatch:
 * RCB blocks found by hooks, the three passes, the program with zcevo's
 * semantics; for network-level programs, a function of the values) or for
 * SymPy (an expression over named terminals). The file is the embedded
 * runtime (export_templates.h) with a header naming the zcevo version and
 * the program, then the program itself (zc_program_print_python). See
 * docs/export.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/program/named_programs.h"
#include "common/program/program.h"
#include "common/stats/proxies_h5.h"
#include "common/util/args.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/cli/export_templates.h"

#define EXPR_CAP 16384

/* export_help: the --help text on stdout */
static void export_help(void) {
    printf(
        "usage: zcevo export --program P [--to pytorch|sympy] [--out FILE.py]\n"
        "                    [--proxies FILE.h5 | --names A,B,...]\n"
        "       zcevo export --all-named --out-dir DIR\n\n"
        "Write a program as a self-contained Python file (docs/export.md).\n\n"
        "  --program P         program text or a named program (eznas-a, eznas-a-wt)\n"
        "  --to pytorch        (default) score(model, images): finds the ReLU -> Conv2d ->\n"
        "                      BatchNorm2d blocks of any torch.nn.Module with hooks, runs the\n"
        "                      three passes (data, noise, perturb) and evaluates the program\n"
        "                      on the 22 terminals of each block as zcevo does; needs only\n"
        "                      PyTorch. For a program over network-level values (with\n"
        "                      --proxies or --names): formula(values), values by name\n"
        "  --to sympy          a SymPy expression EXPR over the named terminals (pointwise\n"
        "                      primitives as expressions, the others as functions)\n"
        "  --out FILE.py       the file (written to FILE.py.tmp, then renamed); default:\n"
        "                      standard output\n"
        "  --proxies FILE.h5   the program is an SR formula over the columns of this\n"
        "                      proxies file (zcevo proxies --out-h5), as zcevo evolve\n"
        "                      --proxies names them\n"
        "  --names A,B,...     the same with the column names given\n"
        "  --all-named         every named program into --out-dir: NAME.py (PyTorch) and\n"
        "                      NAME_sympy.py ('-' in names becomes '_'); the build runs it\n");
}

/* One export. */
typedef struct {
    const char *label;        /* the named program's name, or NULL        */
    char text[EXPR_CAP];      /* the program as zcevo prints it           */
    zc_program prog;
    const zc_term_names *names; /* NULL: layer terminals                  */
    int sympy;
    char command[EXPR_CAP + 2048]; /* the command line, for the header      */
} export_job;

/* the names of the terminals p reads, as a Python tuple's items */
static void used_terminals(const export_job *j, char *buf, size_t len) {
    size_t n = 0;
    buf[0] = 0;
    zc_terminal_mask m = zc_program_terminals(&j->prog);
    for (int c = 0; c < ZC_OP_BASE && n < len; c++)
        if (m & (1u << c))
            n += (size_t)snprintf(buf + n, len - n, "\"%s\", ",
                                  j->names ? j->names->name[c] : zc_terminal_name(c));
}

/* write_header: the comment block every exported file starts with */
static void write_header(FILE *f, const export_job *j) {
    char names[ZC_MAX_TERM_CODES * (ZC_TERM_NAME_LEN + 1)];
    if (j->names) zc_term_names_join(j->names, names, sizeof names);
    fprintf(f,
            "# Zero-cost proxy exported by zcevo %s for %s: generated, do not edit\n"
            "# (regenerate with: %s).\n"
            "# program%s%s: %s\n"
            "# terminals: %s%s\n",
            ZCEVO_VERSION_STRING, j->sympy ? "SymPy" : "PyTorch", j->command,
            j->label ? " " : "", j->label ? j->label : "", j->text,
            j->names ? "network-level values " : "the 22 EZNAS statistics of every RCB block",
            j->names ? names : "");
}

/* write_pytorch_layer: the PyTorch file's body for a layer program: module
 * docstring, PROGRAM / TERMINALS_USED, program(T) and score(model, images)
 * over the embedded runtime (expr: the program as Python over dict T) */
static void write_pytorch_layer(FILE *f, const export_job *j, const char *expr,
                                const char *used) {
    fprintf(f,
            "\"\"\"A zero-cost proxy for any PyTorch network, exported by zcevo %s.\n\n"
            "    model = MyNet()            # nn.ReLU -> nn.Conv2d -> nn.BatchNorm2d blocks\n"
            "    images = next(iter(loader))[0]   # one minibatch (N, C, H, W), N >= 2\n"
            "    s = score(model, images)   # higher: predicted more accurate once trained\n\n"
            "score() finds the blocks with hooks, runs zcevo's three passes (the images,\n"
            "Gaussian noise, the images + 0.1 noise; forward in training mode, backward\n"
            "of the sum of the logits), and evaluates the program below on every block's\n"
            "terminals; NaN means the program is invalid on this network. Only the\n"
            "program's terminals are kept. The model's mode and BatchNorm buffers are\n"
            "restored, its gradients cleared.\n\"\"\"\n",
            ZCEVO_VERSION_STRING);
    fputs(zc_export_torch_runtime, f);
    fprintf(f,
            "\nPROGRAM = \"%s\"\nZCEVO_VERSION = \"%s\"\nTERMINALS_USED = (%s)\n\n\n"
            "def program(T):\n"
            "    \"\"\"The program on one block: T maps terminal names to float32 tensors.\"\"\"\n"
            "    return %s\n\n\n"
            "def score(model, images, noise=None, perturb=None, seed=0):\n"
            "    \"\"\"The proxy's score of `model` on the minibatch `images` (float; NaN:\n"
            "    invalid). noise / perturb: the other two inputs (default: seeded Gaussian\n"
            "    noise and images + 0.1 x noise, see block_terminals).\"\"\"\n"
            "    blocks = block_terminals(model, images, noise, perturb, seed, TERMINALS_USED)\n"
            "    return score_blocks(program, blocks)\n",
            j->text, ZCEVO_VERSION_STRING, used, expr);
}

/* write_pytorch_values: the same for an SR formula over network-level
 * values: formula(v) and score(values) (NaN when a value read or the result
 * is not finite) */
static void write_pytorch_values(FILE *f, const export_job *j, const char *expr,
                                 const char *used) {
    fprintf(f,
            "\"\"\"An SR-NAS formula over hand-crafted proxy values, exported by zcevo %s.\n\n"
            "    s = score({\"synflow\": 61.2, \"nwot\": 402.0, ...})   # by name, see TERMINALS_USED\n\n"
            "The values are those `zcevo proxies` computes (docs/proxies.md); compute them\n"
            "with the same definitions for your own networks. Arithmetic in float64 as\n"
            "zcevo's; NaN: invalid (a value missing or a non-finite result).\n\"\"\"\n",
            ZCEVO_VERSION_STRING);
    fputs(zc_export_torch_runtime, f);
    fprintf(f,
            "\nPROGRAM = \"%s\"\nZCEVO_VERSION = \"%s\"\nTERMINALS_USED = (%s)\n\n\n"
            "def formula(v):\n"
            "    \"\"\"The formula on values v (name -> float64 tensor or number).\"\"\"\n"
            "    return %s\n\n\n"
            "def score(values):\n"
            "    \"\"\"The formula on one network's values (float; NaN: invalid).\"\"\"\n"
            "    v = {k: torch.as_tensor(values[k], dtype=torch.float64) for k in TERMINALS_USED}\n"
            "    if any(not math.isfinite(float(x)) for x in v.values()):\n"
            "        return float(\"nan\")\n"
            "    r = float(formula(v))\n"
            "    return r if math.isfinite(r) else float(\"nan\")\n",
            j->text, ZCEVO_VERSION_STRING, used, expr);
}

/* write_sympy: the SymPy file's body: the symbols S of the terminals used
 * and EXPR, over the embedded SymPy runtime */
static void write_sympy(FILE *f, const export_job *j, const char *expr, const char *used) {
    fprintf(f,
            "\"\"\"A zcevo program as a SymPy expression, exported by zcevo %s.\n\n"
            "    from <this module> import EXPR, S, on_scalars\n"
            "    print(EXPR)                          # the program, simplified by SymPy\n"
            "    on_scalars(EXPR).subs({S[\"nwot\"]: 400.0, ...}).evalf()   # on scalar values\n"
            "\"\"\"\n",
            ZCEVO_VERSION_STRING);
    fputs(zc_export_sympy_runtime, f);
    fprintf(f,
            "\nPROGRAM = \"%s\"\nZCEVO_VERSION = \"%s\"\nTERMINALS_USED = (%s)\n"
            "S = {name: sp.Symbol(name, real=True) for name in TERMINALS_USED}\n"
            "EXPR = %s\n\n"
            "if __name__ == \"__main__\":\n"
            "    print(EXPR)\n",
            j->text, ZCEVO_VERSION_STRING, used, expr);
}

/* write_export: the whole file for j into f */
static void write_export(FILE *f, const export_job *j) {
    static char expr[EXPR_CAP * 4];
    char used[ZC_MAX_TERM_CODES * (ZC_TERM_NAME_LEN + 4) + 8];
    zc_program_print_python(&j->prog, j->names, j->sympy ? "S" : (j->names ? "v" : "T"), expr,
                            sizeof expr);
    used_terminals(j, used, sizeof used);
    write_header(f, j);
    if (j->sympy) write_sympy(f, j, expr, used);
    else if (j->names) write_pytorch_values(f, j, expr, used);
    else write_pytorch_layer(f, j, expr, used);
}

/* export_to: j into path (temporary file, then renamed), or stdout when
 * path is NULL. Errors end the program naming the file. */
static void export_to(const export_job *j, const char *path) {
    if (!path) {
        write_export(stdout, j);
        if (fflush(stdout) != 0) zc_die("cannot write the export to standard output");
        return;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) zc_die("cannot write '%s'", tmp);
    write_export(f, j);
    if (fclose(f) != 0 || zc_fsync_rename(tmp, path) != 0) {
        remove(tmp);
        zc_die("cannot write '%s'", path);
    }
}

/* prepare_job: parse the program (a name or a text) with the names into j;
 * a malformed program is a usage error. */
static void prepare_job(export_job *j, const char *program, const zc_term_names *names,
                        int sympy) {
    char err[512];
    const char *named = names ? NULL : zc_program_named(program);
    j->label = named ? program : NULL;
    j->names = names;
    j->sympy = sympy;
    if (zc_program_parse_names(named ? named : program, names, &j->prog, err, sizeof err) != 0)
        zc_usage_error("export", "--program '%s': %s", program, err);
    zc_program_print_names(&j->prog, names, j->text, sizeof j->text);
}

/* export_all_named: every named program into dir as NAME.py and
 * NAME_sympy.py. */
static void export_all_named(const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) zc_die("cannot create the folder '%s'", dir);
    for (int i = 0; i < zc_program_named_count(); i++) {
        const char *name;
        zc_program_named_at(i, &name, NULL);
        char base[128], path[1024];
        snprintf(base, sizeof base, "%s", name);
        for (char *c = base; *c; c++)
            if (*c == '-') *c = '_';
        for (int sympy = 0; sympy < 2; sympy++) {
            static export_job j;
            memset(&j, 0, sizeof j);
            prepare_job(&j, name, NULL, sympy);
            snprintf(j.command, sizeof j.command, "zcevo export --program %s --to %s", name,
                     sympy ? "sympy" : "pytorch");
            snprintf(path, sizeof path, "%s/%s%s.py", dir, base, sympy ? "_sympy" : "");
            export_to(&j, path);
        }
    }
}

int zc_cmd_export(int argc, char **argv) {
    static const char *const targets[] = {"pytorch", "sympy", NULL};
    const char *program = NULL, *out = NULL, *proxies = NULL, *names_list = NULL,
               *out_dir = NULL;
    int sympy = 0, all_named = 0;
    zc_args a = zc_args_begin("export", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            export_help();
            return ZC_EXIT_OK;
        } else if (zc_args_opt(&a, "--program")) program = a.value;
        else if (zc_args_opt(&a, "--to")) sympy = zc_args_choice(&a, targets) == 1;
        else if (zc_args_opt(&a, "--out")) out = a.value;
        else if (zc_args_opt(&a, "--proxies")) proxies = a.value;
        else if (zc_args_opt(&a, "--names")) names_list = a.value;
        else if (zc_args_opt(&a, "--out-dir")) out_dir = a.value;
        else if (zc_args_flag(&a, "--all-named")) all_named = 1;
        else zc_args_unknown(&a);
    }
    if (all_named) {
        if (!out_dir || program || out) zc_usage_error("export", "--all-named takes --out-dir only");
        export_all_named(out_dir);
        return ZC_EXIT_OK;
    }
    if (!program) zc_usage_error("export", "give --program (or --all-named)");
    if (proxies && names_list) zc_usage_error("export", "--proxies and --names exclude each other");
    if (out && proxies && strcmp(out, proxies) == 0)
        zc_usage_error("export", "--out would overwrite the --proxies file '%s'", proxies);
    static zc_term_names names;
    char err[1024];
    if (proxies && zc_proxies_h5_names(proxies, &names, err, sizeof err) != 0) zc_die("%s", err);
    if (names_list && zc_term_names_parse(names_list, &names, err, sizeof err) != 0)
        zc_usage_error("export", "--names: %s", err);
    static export_job j;
    memset(&j, 0, sizeof j);
    prepare_job(&j, program, proxies || names_list ? &names : NULL, sympy);
    if (j.label)
        snprintf(j.command, sizeof j.command, "zcevo export --program %s --to %s", j.label,
                 sympy ? "sympy" : "pytorch");
    else
        snprintf(j.command, sizeof j.command, "zcevo export --program '%s'%s%s --to %s", j.text,
                 proxies ? " --proxies " : names_list ? " --names " : "",
                 proxies ? proxies : names_list ? names_list : "", sympy ? "sympy" : "pytorch");
    export_to(&j, out);
    return ZC_EXIT_OK;
}
