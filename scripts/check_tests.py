#!/usr/bin/env python3
"""check_tests.py: no test may vanish or skip unnoticed. Compares the tests
CTest registers in a build folder (optionally the -L / -LE selection that
was run)
with a committed list, then the results of the run (CTest's JUnit file)
with the rule that every test ran and passed, except GPU tests (label
`gpu`) on a machine without a GPU, which may skip (exit 77).

  check_tests.py BUILD_DIR EXPECTED_LIST JUNIT_XML [-L REGEX] [-LE REGEX]
  check_tests.py BUILD_DIR EXPECTED_LIST --update [-L REGEX] [-LE REGEX]

EXPECTED_LIST: one test name per line, '#' comments (tests/expected/*.txt);
"NAME disabled" marks a test registered DISABLED on purpose (a known defect
waiting for a fix, with its reason in a comment): the mark and the test's
DISABLED property must agree both ways. --update rewrites the list from the
registered tests (review the diff: a removed line is a test that vanished).
Prints one summary line; exit 0 when everything matches, 1 with one line
per problem otherwise (a test missing from the build or from the list, a
test that did not run, failed, or skipped without being a GPU test on a
GPU-less machine, a disabled test not marked or a marked one enabled), 2
for wrong arguments or unreadable files.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def selection(args):
    """the ctest arguments of the -L / -LE selection."""
    return (["-L", args.labels] if args.labels else []) + \
        (["-LE", args.exclude] if args.exclude else [])


def registered(build_dir, select):
    """{name: (labels, disabled)} of the tests CTest would run in build_dir
    with the selection arguments select."""
    cmd = ["ctest", "--test-dir", build_dir, "--show-only=json-v1"] + select
    # ctest --show-only rewrites Testing/Temporary/LastTest.log: keep the
    # run's log (the full output of every test) as it was
    log = os.path.join(build_dir, "Testing", "Temporary", "LastTest.log")
    kept = log + ".check_tests"
    if os.path.exists(log):
        shutil.copy2(log, kept)
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        if os.path.exists(kept):
            os.replace(kept, log)
    tests = {}
    for t in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        tests[t["name"]] = (props.get("LABELS", []), bool(props.get("DISABLED", False)))
    return tests


def read_expected(path):
    """[(name, marked disabled)] in file order; ValueError for a bad line."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            words = line.split("#")[0].split()
            if not words:
                continue
            if len(words) > 2 or (len(words) == 2 and words[1] != "disabled"):
                raise ValueError(f"{path} line {n}: expected 'NAME' or 'NAME disabled'")
            out.append((words[0], len(words) == 2))
    return out


def old_comments(path):
    """{name: its trailing '  # comment'} of an existing list, else {}."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    return {line.split()[0]: "  #" + line.split("#", 1)[1] for line in lines
            if "#" in line and line.split("#")[0].split()}


def write_expected(path, tests, select):
    """the sorted list of tests (disabled ones marked), keeping the
    trailing comments of the lines that stay."""
    head = ["# " + path + ": the tests this build registers"
            + (f" (selection {' '.join(select)})" if select else "")
            + "; checked by scripts/check_tests.py",
            "# (scripts/test.sh). Regenerate with --update and review the diff."]
    comments = old_comments(path)
    lines = [n + (" disabled" if tests[n][1] else "") + comments.get(n, "")
             for n in sorted(tests)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(head + lines) + "\n")


def results(junit_path):
    """{name: (status, skipped message or None)} from CTest's JUnit file."""
    out = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        skipped = case.find("skipped")
        failed = case.find("failure") is not None or case.get("status") == "fail"
        status = "fail" if failed else case.get("status", "run")
        out[case.get("name")] = (status, skipped.get("message") if skipped is not None else None)
    return out


def has_gpu():
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def check_run(tests, ran, gpu_here):
    """problems of the run, and counts (passed, skipped gpu)."""
    problems, passed, skipped = [], 0, 0
    for name, (labels, disabled) in sorted(tests.items()):
        if disabled:
            continue
        if name not in ran:
            problems.append(f"{name}: registered but not in the run's results")
            continue
        status, why = ran[name]
        if status == "run":
            passed += 1
        elif status == "notrun" and why == "SKIP_RETURN_CODE=77" and "gpu" in labels \
                and not gpu_here:
            skipped += 1
        elif status == "fail":
            problems.append(f"{name}: failed")
        elif status == "notrun" and why == "SKIP_RETURN_CODE=77":
            problems.append(f"{name}: skipped (exit 77), but only GPU tests on a machine "
                            "without a GPU may skip")
        else:
            problems.append(f"{name}: did not run ({status}: {why})")
    return problems, passed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("expected")
    ap.add_argument("junit", nargs="?")
    ap.add_argument("-L", dest="labels", help="the label regex given to ctest -L")
    ap.add_argument("-LE", dest="exclude", help="the label regex given to ctest -LE")
    ap.add_argument("--update", action="store_true", help="rewrite EXPECTED from the build")
    args = ap.parse_args()
    try:
        tests = registered(args.build_dir, selection(args))
        if args.update:
            write_expected(args.expected, tests, selection(args))
            print(f"check_tests: wrote {len(tests)} names to {args.expected}")
            return 0
        if not args.junit:
            ap.error("JUNIT_XML is needed unless --update")
        marked = read_expected(args.expected)
        ran = results(args.junit)
    except (OSError, subprocess.CalledProcessError, ET.ParseError, ValueError) as e:
        print(f"check_tests: error: {e}", file=sys.stderr)
        return 2
    expected = dict(marked)
    problems = [f"{n}: in {args.expected} but not registered (a test vanished)"
                for n in expected if n not in tests]
    problems += [f"{n}: registered but not in {args.expected} (add it)"
                 for n in sorted(tests) if n not in expected]
    if len(expected) != len(marked):
        problems.append(f"{args.expected} lists a test twice")
    disabled = sorted(n for n in tests if tests[n][1])
    problems += [f"{n}: registered DISABLED but not marked 'disabled' in {args.expected}"
                 for n in disabled if not expected.get(n, True)]
    problems += [f"{n}: marked 'disabled' in {args.expected} but enabled (drop the mark)"
                 for n in expected if expected[n] and n in tests and not tests[n][1]]
    gpu_here = has_gpu()
    run_problems, passed, skipped = check_run(tests, ran, gpu_here)
    problems += run_problems
    where = " ".join([args.build_dir] + selection(args))
    print(f"check_tests: {where}: {len(tests)} registered, {len(expected)} expected; "
          f"{passed} passed, {skipped} skipped (GPU tests, "
          f"{'a GPU is present' if gpu_here else 'no GPU here'}), {len(disabled)} disabled "
          f"({', '.join(disabled) or 'none'}), {len(problems)} problems")
    for p in problems:
        print(f"check_tests: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
