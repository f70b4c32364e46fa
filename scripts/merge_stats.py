#!/usr/bin/python3
"""merge_stats.py: merge zcevo statistics parts (docs/stats_schema.md) into one file.

The SLURM statistics array (slurm/stats_array.sbatch) writes one HDF5 part per
chunk of architectures; this script merges the parts into one statistics file
of the same schema, as `zcevo stats` would have written it in one run:

* every part must be a zcevo stats file (format "zcevo-stats", format_version 1
  or 2, all parts of one version) of the SAME configuration (every root
  attribute except format, format_version and zcevo_version) with
  bit-identical /inputs; otherwise nothing is written and the first
  difference is named;
* complete architectures (/archs/NNNNNN with complete = 1) are copied with
  h5py's copy (HDF5 object copy: datasets with their layout and checksum
  filter, attributes with their types, their order); incomplete
  groups are ignored; an architecture present in several parts is taken from
  the first one (equal configurations compute equal values);
* the output is written to a temporary file in the output's folder, flushed,
  fsynced and renamed, so OUT is either absent, the old file or the complete
  new one.

Usage: merge_stats.py --out OUT.h5 PART.h5 [PART.h5 ...] [--expect-archs N]
  --expect-archs N  fail (exit 1, OUT not written) unless the merged file
                    holds exactly N complete architectures
  --quiet           no summary line
Exit status: 0 merged, 1 refused or failed (one line on stderr), 2 usage.
"""
import argparse
import os
import sys

import h5py
import numpy as np

NON_CONFIG_ATTRS = {"format", "format_version", "zcevo_version"}
FORMAT = "zcevo-stats"
FORMAT_VERSIONS = (1, 2)


class MergeError(Exception):
    """A part that cannot be merged; the message names the file and the reason."""


def attr_value(value):
    """Attribute value in a comparable form (numpy scalars/arrays -> python)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_part(path, f, reference):
    """Checks that part `f` (opened from `path`) is a zcevo stats file with the
    configuration and inputs of `reference` (the first part, or None for the
    first one). Raises MergeError naming the file and the first difference."""
    if attr_value(f.attrs.get("format")) != FORMAT:
        raise MergeError(f"'{path}' is not a zcevo stats file (no format='{FORMAT}' attribute)")
    version = attr_value(f.attrs.get("format_version"))
    if version not in FORMAT_VERSIONS:
        raise MergeError(f"'{path}' has format_version={version}; this script reads "
                         f"{' and '.join(map(str, FORMAT_VERSIONS))}")
    if "inputs" not in f or "archs" not in f:
        raise MergeError(f"'{path}' lacks /inputs or /archs (an empty or broken stats file)")
    if reference is None:
        return
    ref_path, ref = reference
    ref_version = attr_value(ref.attrs.get("format_version"))
    if version != ref_version:
        raise MergeError(f"'{path}' has format_version={version}, '{ref_path}' "
                         f"{ref_version}; parts must share one format")
    config = {k: attr_value(v) for k, v in f.attrs.items() if k not in NON_CONFIG_ATTRS}
    ref_config = {k: attr_value(v) for k, v in ref.attrs.items() if k not in NON_CONFIG_ATTRS}
    for key in sorted(set(config) | set(ref_config)):
        if config.get(key) != ref_config.get(key):
            raise MergeError(f"'{path}' was made with {key}={config.get(key)!r}, "
                             f"'{ref_path}' with {key}={ref_config.get(key)!r}; "
                             "parts must share one configuration")
    names = sorted(f["inputs"].keys())
    if names != sorted(ref["inputs"].keys()):
        raise MergeError(f"'{path}' /inputs holds {names}, '{ref_path}' {sorted(ref['inputs'].keys())}")
    for name in names:
        a, b = f["inputs"][name], ref["inputs"][name]
        if a.dtype != b.dtype or a.shape != b.shape or a[...].tobytes() != b[...].tobytes():
            raise MergeError(f"'{path}' /inputs/{name} differs from '{ref_path}' "
                             "(different images or noise: not the same run configuration)")


def complete_archs(f):
    """Names of the complete /archs groups of `f`, in name (= index) order."""
    return [name for name in sorted(f["archs"].keys())
            if attr_value(f["archs"][name].attrs.get("complete", 0)) == 1]


def merge(parts, out, expect_archs=None):
    """Merges the stats files `parts` into `out` (atomically). Returns
    (number of complete archs written, duplicates skipped, incomplete groups
    ignored). Raises MergeError (nothing written) on any refusal."""
    out_abs = os.path.abspath(out)
    for path in parts:
        if os.path.abspath(path) == out_abs:
            raise MergeError(f"the output '{out}' is also an input part; use another --out")
    files = []
    try:
        for path in parts:
            try:
                f = h5py.File(path, "r")
            except OSError as e:
                raise MergeError(f"cannot open '{path}' as HDF5: {e}") from None
            files.append((path, f))
            check_part(path, f, files[0] if len(files) > 1 else None)

        # which part provides each architecture (first one wins)
        source = {}
        duplicates = incomplete = 0
        for path, f in files:
            complete = complete_archs(f)
            incomplete += len(f["archs"]) - len(complete)
            for name in complete:
                if name in source:
                    duplicates += 1
                else:
                    source[name] = f
        if expect_archs is not None and len(source) != expect_archs:
            raise MergeError(f"the parts hold {len(source)} complete architectures, "
                             f"expected {expect_archs} (a chunk is missing or incomplete?)")

        out_dir = os.path.dirname(out_abs)
        tmp = os.path.join(out_dir, f".{os.path.basename(out_abs)}.merge{os.getpid()}.tmp")
        try:
            first = files[0][1]
            with h5py.File(tmp, "w", libver=("v108", "latest"), track_order=True) as dst:
                for key in first.attrs:          # creation order when tracked
                    dst.attrs.create(key, first.attrs[key], dtype=first.attrs.get_id(key).dtype)
                first.copy(first["inputs"], dst, "inputs")
                archs = dst.create_group("archs")
                for name in sorted(source):
                    src = source[name]
                    src.copy(src["archs"][name], archs, name)
                dst.flush()
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, out_abs)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        try:
            dir_fd = os.open(out_dir, os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
        except OSError:
            pass
        return len(source), duplicates, incomplete
    finally:
        for _, f in files:
            f.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("parts", nargs="+", help="statistics parts (HDF5) to merge")
    ap.add_argument("--out", required=True, help="merged statistics file")
    ap.add_argument("--expect-archs", type=int, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    try:
        n, duplicates, incomplete = merge(args.parts, args.out, args.expect_archs)
    except (MergeError, OSError) as e:
        print(f"merge_stats: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"merge_stats: {args.out}: {n} architectures from {len(args.parts)} parts"
              f" ({duplicates} duplicates skipped, {incomplete} incomplete groups ignored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
