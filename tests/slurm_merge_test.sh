#!/bin/bash
# slurm_merge_test.sh: scripts/merge_stats.py without SLURM. Three NB201
# architectures are computed by `zcevo stats` in two parts (as two array
# tasks would) and in one direct run; the merge must equal the direct run
# (root attributes, inputs, every arch group: attributes in order, every
# tensor byte); refusals must write nothing: a part of another configuration
# (batch 2), a missing architecture (--expect-archs), the output among the
# inputs, a file that is not a stats file. Duplicates are merged once,
# incomplete groups ignored.
#
# Usage: slurm_merge_test.sh ZCEVO_BIN DATA_DIR PYTHON
set -u
ZCEVO_BIN=$1 DATA_DIR=$2 PYTHON=${3:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
merge="$PYTHON $(dirname "$here")/scripts/merge_stats.py"
missing() { exec "$here/missing_dependency.sh" --dependency "$*"; }
[ -d "$DATA_DIR" ] || missing "no data folder $DATA_DIR"
"$PYTHON" -c "import h5py" 2>/dev/null || missing "$PYTHON has no h5py (Debian: python3-h5py; scripts/install_deps.sh)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zcevo_merge_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
stats() { "$ZCEVO_BIN" stats --data "$DATA_DIR" --space nb201 --dataset cifar10 --seed 1 --threads 2 --quiet "$@" || fail "zcevo stats $*"; }

printf '5\n17\n' >"$tmp/a.txt"; printf '40\n' >"$tmp/b.txt"; printf '5\n17\n40\n' >"$tmp/all.txt"
stats --batch 1 --arch-file "$tmp/a.txt" --out "$tmp/part_0000.h5"
stats --batch 1 --arch-file "$tmp/b.txt" --out "$tmp/part_0001.h5"
stats --batch 1 --arch-file "$tmp/all.txt" --out "$tmp/direct.h5"
stats --batch 2 --arch-file "$tmp/b.txt" --out "$tmp/batch2.h5"

$merge --out "$tmp/merged.h5" --expect-archs 3 "$tmp/part_0000.h5" "$tmp/part_0001.h5" || fail "merge failed"
# a duplicate part: merged once
$merge --out "$tmp/merged_dup.h5" --expect-archs 3 "$tmp/part_0000.h5" "$tmp/part_0001.h5" "$tmp/part_0000.h5" | grep -q "2 duplicates skipped" ||
    fail "duplicates not reported"
"$PYTHON" - "$tmp/merged.h5" "$tmp/direct.h5" "$tmp/merged_dup.h5" <<'PY' || fail "merged file differs from the direct run"
import sys, h5py, numpy as np
def attrs(o):
    return [(k, v.tolist() if isinstance(v, np.ndarray) else v) for k, v in o.attrs.items()]
def same(a_path, b_path):
    a, b = h5py.File(a_path, "r"), h5py.File(b_path, "r")
    assert attrs(a) == attrs(b), "root attributes (values and order)"
    seen = []
    def check(name, obj):
        other = b[name]
        assert attrs(obj) == attrs(other), f"attributes of {name}"
        if isinstance(obj, h5py.Dataset):
            assert obj.dtype == other.dtype and obj.shape == other.shape, name
            assert obj[...].tobytes() == other[...].tobytes(), f"values of {name}"
        seen.append(name)
    a.visititems(check)
    count = []
    b.visit(count.append)
    assert len(seen) == len(count), (len(seen), len(count))
    assert sorted(a["archs"]) == ["000005", "000017", "000040"], sorted(a["archs"])
    return len(seen)
n = same(sys.argv[1], sys.argv[2])
same(sys.argv[3], sys.argv[2])
print(f"merged == direct: {n} objects")
PY

# an incomplete group (complete != 1, as in a .partial) is ignored
cp "$tmp/part_0000.h5" "$tmp/partial.h5"
"$PYTHON" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f['archs/000017'].attrs['complete'] = 0" "$tmp/partial.h5"
$merge --out "$tmp/merged_partial.h5" --expect-archs 2 "$tmp/partial.h5" "$tmp/part_0001.h5" | grep -q "1 incomplete groups ignored" ||
    fail "an incomplete group was not ignored"
"$PYTHON" -c "import h5py, sys; assert sorted(h5py.File(sys.argv[1], 'r')['archs']) == ['000005', '000040']" "$tmp/merged_partial.h5" ||
    fail "merged_partial.h5 holds the wrong architectures"

# refusals: exit 1, one line naming the file, nothing written
refuse() {
    local what=$1 expect=$2; shift 2
    local out
    out=$($merge "$@" 2>&1) && fail "$what: accepted"
    echo "$out" | grep -q "$expect" || fail "$what: message '$out' lacks '$expect'"
    [ "$(echo "$out" | grep -c .)" = 1 ] || fail "$what: more than one line: $out"
    echo "refused ($what): $out"
}
refuse "other configuration" "batch=2" --out "$tmp/bad.h5" "$tmp/part_0000.h5" "$tmp/batch2.h5"
refuse "missing architecture" "expected 4" --out "$tmp/bad.h5" --expect-archs 4 "$tmp/part_0000.h5" "$tmp/part_0001.h5"
refuse "output among inputs" "also an input" --out "$tmp/part_0000.h5" "$tmp/part_0000.h5" "$tmp/part_0001.h5"
echo "not hdf5" >"$tmp/junk.h5"
refuse "not a stats file" "junk.h5" --out "$tmp/bad.h5" "$tmp/part_0000.h5" "$tmp/junk.h5"
[ -e "$tmp/bad.h5" ] && fail "a refused merge wrote its output"
[ -n "$(find "$tmp" -name '*.tmp')" ] && fail "a temporary file was left behind"
echo "PASS"
