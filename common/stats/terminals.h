/* terminals.h: the 22 per-RCB-block statistics of EZNAS ("terminals") and
 * their names.
 *
 * Seven tensors per pass (inpact, preact, act, inpact_grad, preact_grad,
 * act_grad, wt_grad) over three passes (data, noise, perturb; perturb stored
 * as perturb-pass minus data-pass), plus the conv weight wt:
 *   id = tensor * 3 + pass   for id < 21,   id 21 = wt.
 * Name: "<tensor>_<pass>" (e.g. "inpact_grad_data") or "wt".
 */
#ifndef ZC_TERMINALS_H
#define ZC_TERMINALS_H

#include <stdint.h>

enum { ZC_T_INPACT, ZC_T_PREACT, ZC_T_ACT, ZC_T_INPACT_GRAD, ZC_T_PREACT_GRAD,
       ZC_T_ACT_GRAD, ZC_T_WT_GRAD, ZC_NUM_TENSOR_KINDS };
enum { ZC_PASS_DATA, ZC_PASS_NOISE, ZC_PASS_PERTURB, ZC_NUM_PASSES };

#define ZC_NUM_TERMINALS 22
#define ZC_TERMINAL_WT 21
#define ZC_TERMINAL_ID(tensor, pass) ((tensor) * ZC_NUM_PASSES + (pass))

/* A set of terminals as a bit mask (bit id). */
typedef uint32_t zc_terminal_mask;
#define ZC_ALL_TERMINALS ((zc_terminal_mask)((1u << ZC_NUM_TERMINALS) - 1))

/* zc_terminal_name: static name of terminal id (0..21). */
const char *zc_terminal_name(int id);

/* zc_terminal_lookup: id of a name, or -1 if unknown. */
int zc_terminal_lookup(const char *name);

/* zc_terminal_parse_list: parse a comma-separated list of names ("all" for
 * every terminal) into *mask. Returns 0, or -1 and writes the first unknown
 * name into bad (>= 64 bytes). */
int zc_terminal_parse_list(const char *list, zc_terminal_mask *mask, char *bad);

#endif
