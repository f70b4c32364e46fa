/* export_templates.h: the Python runtimes `zcevo export` copies into its
 * output files: scripts/export_torch_runtime.py (RCB blocks by hooks, the
 * three passes, the primitives in PyTorch) and scripts/export_sympy_runtime.py
 * (the primitives in SymPy), embedded at build time by
 * scripts/embed_text.cmake into generated/export_templates.c. */
#ifndef ZC_EXPORT_TEMPLATES_H
#define ZC_EXPORT_TEMPLATES_H

extern const char zc_export_torch_runtime[];
extern const char zc_export_sympy_runtime[];

#endif
