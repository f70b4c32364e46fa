#!/usr/bin/python3
"""inspect_stats.py: print what a zcevo statistics file (docs/stats_schema.md)
holds, using only h5py: the run configuration, the inputs, the number of
complete architectures and, for the first few, their layers with the shapes
of the stored terminals. It proves that the files are readable without zcevo.

Usage: inspect_stats.py FILE [--archs N] [--layers N] [--expect-archs N]
  --archs N         architectures to detail (default 2)
  --layers N        layers to list per detailed architecture (default 4)
  --expect-archs N  exit 1 unless the file holds exactly N complete archs
Exit status: 0, or 1 when the file is not a zcevo stats file or the
expectation fails.
"""
import argparse
import sys

import h5py

ROOT_ATTRS = ["format", "format_version", "zcevo_version", "space", "dataset", "batch", "seed",
              "terminals", "store_params", "num_classes", "image_h", "image_w",
              "accuracy_column", "image_source"]
LAYER_ATTRS = ["c_in", "c_out", "kernel_h", "kernel_w", "stride", "dilation", "groups", "stage",
               "cell"]


def text(value):
    """A string attribute as str: format 2 files store fixed-length UTF-8
    strings (h5py returns bytes), format 1 files variable-length ones (str)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--archs", type=int, default=2)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--expect-archs", type=int, default=None)
    args = ap.parse_args()

    # Read-only; works while a writer holds <file>.partial (another file).
    with h5py.File(args.file, "r") as f:
        if text(f.attrs.get("format")) != "zcevo-stats":
            print(f"inspect_stats: '{args.file}' is not a zcevo stats file", file=sys.stderr)
            return 1
        print(f"file: {args.file}")
        print("config:")
        for name in ROOT_ATTRS:
            print(f"  {name}: {text(f.attrs[name])}")
        terminals = [t for t in text(f.attrs["terminals"]).split(",") if t]
        if "inputs" in f:
            for name, d in f["inputs"].items():
                print(f"inputs/{name}: {d.dtype} {d.shape}")
        archs = f["archs"]
        complete = [k for k in archs if archs[k].attrs.get("complete", 0) == 1]
        incomplete = len(archs) - len(complete)
        print(f"archs: {len(complete)}" + (f" (+{incomplete} incomplete, ignored)" if incomplete else ""))
        for key in complete[:args.archs]:
            g = archs[key]
            accs = {k[4:]: float(v) for k, v in g.attrs.items() if k.startswith("acc_")}
            print(f"arch {int(g.attrs['arch_index'])}: {text(g.attrs['arch_str'])}")
            print(f"  accuracy {float(g.attrs['accuracy']):.4f}, columns {accs}")
            n_layers = int(g.attrs["n_layers"])
            print(f"  layers: {n_layers}")
            for lkey in sorted(g["layers"])[:args.layers]:
                layer = g["layers"][lkey]
                meta = " ".join(f"{a}={int(layer.attrs[a])}" for a in LAYER_ATTRS)
                print(f"  layer {lkey} {text(layer.attrs['name'])}: {meta}")
                for t in terminals:
                    d = layer[t]
                    print(f"    {t}: {d.dtype} {d.shape}")
            if "params" in g:
                print(f"  params: {len(g['params'])} tensors, e.g. "
                      + ", ".join(f"{k} {g['params'][k].shape}" for k in list(g["params"])[:3]))
        if args.expect_archs is not None and len(complete) != args.expect_archs:
            print(f"inspect_stats: expected {args.expect_archs} complete archs, found "
                  f"{len(complete)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
