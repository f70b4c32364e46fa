# cli_lib.sh: helpers of the command-line tests (sourced by
# reliability_test.sh and bad_input_test.sh): pass/fail counters, the
# one-line error check, file fingerprints and the summary line.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*"
}

# expect_error NAME CODE PATTERN -- command...: the command exits with CODE
# and writes exactly one stderr line, "zcevo: error: ..." matching PATTERN
# (grep -E), printable text only (no raw bytes of a binary input echoed).
# Its stdout goes to $tmp/out, its stderr to $tmp/err.
expect_error() {
  local name=$1 code=$2 pattern=$3
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne "$code" ]; then
    bad "$name: exit $rc, expected $code: $(head -c 600 "$tmp/err")"
  elif [ "$lines" -ne 1 ] || ! grep -q '^zcevo: error: ' "$tmp/err"; then
    bad "$name: $lines stderr lines, expected one 'zcevo: error:' line:"
    head -c 1500 "$tmp/err"
  elif LC_ALL=C grep -q '[^[:print:][:space:]]' "$tmp/err"; then
    bad "$name: the message holds raw bytes"
  elif ! grep -Eq -- "$pattern" "$tmp/err"; then
    bad "$name: message lacks '$pattern': $(cat "$tmp/err")"
  else
    ok
  fi
}

# fingerprint FILE...: one sha256 (or "absent") per file, on one line.
fingerprint() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then sha256sum <"$f" | cut -c1-64; else echo absent; fi
  done | tr '\n' ' '
}

# expect_same NAME BEFORE FILE...: the files' fingerprint is still BEFORE.
expect_same() {
  local name=$1 before=$2
  shift 2
  if [ "$(fingerprint "$@")" = "$before" ]; then ok; else bad "$name: files changed: $*"; fi
}

# expect_absent NAME FILE...: none of the files exists.
expect_absent() {
  local name=$1 f
  shift
  for f in "$@"; do
    if [ -e "$f" ]; then
      bad "$name: '$f' was left behind"
      return
    fi
  done
  ok
}

# finish: the summary line; status 0 when every check passed.
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}
