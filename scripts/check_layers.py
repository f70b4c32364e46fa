#!/usr/bin/env python3
"""check_layers.py: zcevo's floor plan, checked (docs/architecture.md).

Every C/CUDA file of the tree belongs to a layer, given by its folder:

    0 common/util       base: errors, allocation, options, rng, threads
    1 kernels           network descriptor, CPU and CUDA executors
    2 common/nets       network builders, design spaces
    3 common/data       CIFAR loader, benchmark tables, tasks
    4 common/stats      EZNAS statistics, HDF5 cache, task statistics
    5 common/program    programs, primitives, plans, evaluators
    6 common/proxies    hand-crafted proxies
    7 common/mpi        MPI helpers and the master/worker protocol
    8 master/gp         GP engine, fitness, checkpoints, the evolve run
    8 master/search     architecture search with a proxy (zcevo search)
    9 master/dispatch   the MPI master            9 worker  the worker ranks
   10 master/cli        the commands             11 main.c

A file may include headers of its own layer or of lower layers only
(dependencies point one way), two layers of the same rank never include
each other (master/dispatch and worker talk through common/mpi only), and
the modules (x.c + x.h) form no circle. Exits 1 with one line per
violation, 0 when the tree follows the plan.

With --objects BUILD_DIR the same rules are checked on the symbols the
compiled objects define and use (nm): a function declared in one folder's
header but defined in another's source, or two modules calling each other,
show up there even when the includes look tidy.

usage: scripts/check_layers.py [REPO_ROOT] [--objects BUILD_DIR]
"""
import os
import re
import subprocess
import sys

LAYERS = [
    ("common/util/", 0), ("kernels/", 1), ("common/nets/", 2), ("common/data/", 3),
    ("common/stats/", 4), ("common/program/", 5), ("common/proxies/", 6),
    ("common/mpi/", 7), ("master/gp/", 8), ("master/search/", 8), ("master/dispatch/", 9),
    ("worker/", 9),
    ("master/cli/", 10), ("main.c", 11),
]
SOURCE_DIRS = ("common", "kernels", "master", "worker")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    for prefix, rank in LAYERS:
        if path.startswith(prefix):
            return prefix, rank
    return None, None


def sources(root):
    out = []
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h", ".cu", ".cuh")):
                    out.append(os.path.relpath(os.path.join(dirpath, n), root))
    if os.path.exists(os.path.join(root, "main.c")):
        out.append("main.c")
    return sorted(out)


def module(path):
    return os.path.splitext(path)[0]


def find_cycle(graph):
    """A list of nodes forming a circle, or None (iterative DFS)."""
    color = {}
    for start in sorted(graph):
        if color.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        color[start] = 1
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
                continue
            if color.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not color.get(nxt):
                color[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def object_graph(build_dir, root):
    """module -> modules whose symbols it uses, from the library objects
    (objects of sources that no longer exist are stale and skipped)."""
    defined, used = {}, {}
    for dirpath, _, names in os.walk(os.path.join(build_dir, "CMakeFiles")):
        if ".dir" not in dirpath or not dirpath.split(os.sep)[-1]:
            continue
        for n in names:
            if not n.endswith(".o"):
                continue
            obj = os.path.join(dirpath, n)
            rel = obj.split(".dir" + os.sep, 1)[1][:-2]
            if not rel.startswith(SOURCE_DIRS) and rel != "main.c":
                continue
            if not os.path.exists(os.path.join(root, rel)):
                continue
            out = subprocess.run(["nm", obj], capture_output=True, text=True).stdout
            mod = module(rel)
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "TDBR":
                    defined[parts[2]] = mod
                elif len(parts) == 2 and parts[0] == "U":
                    used.setdefault(mod, set()).add(parts[1])
            used.setdefault(mod, set())
    graph = {}
    for mod, syms in used.items():
        graph[mod] = {defined[s] for s in syms if s in defined and defined[s] != mod}
    return graph


def check_graph(graph, problems, what):
    for mod in sorted(graph):
        prefix, rank = layer_of(mod + ".c")
        for dep in sorted(graph[mod]):
            dprefix, drank = layer_of(dep + ".c")
            if prefix is None or dprefix is None:
                continue
            if drank > rank:
                problems.append(f"{mod} ({prefix}) uses {what} of {dep} in the higher layer "
                                f"{dprefix}")
            elif drank == rank and dprefix != prefix:
                problems.append(f"{mod} ({prefix}) uses {what} of {dep} in the sibling layer "
                                f"{dprefix}")
    cycle = find_cycle(graph)
    if cycle:
        problems.append(f"modules in a circle ({what}): " + " -> ".join(cycle))


def main():
    args = sys.argv[1:]
    build_dir = None
    if "--objects" in args:
        i = args.index("--objects")
        build_dir = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    problems = []
    graph = {}
    for path in sources(root):
        prefix, rank = layer_of(path)
        if prefix is None:
            problems.append(f"{path}: in no layer of the plan (scripts/check_layers.py)")
            continue
        text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
        mod = module(path)
        graph.setdefault(mod, set())
        for inc in INCLUDE.findall(text):
            if not os.path.exists(os.path.join(root, inc)):
                continue  # a system or generated header
            iprefix, irank = layer_of(inc)
            if iprefix is None:
                problems.append(f"{path}: includes {inc}, which is in no layer")
                continue
            if path.startswith("worker/") and inc.startswith("master/"):
                problems.append(f"{path} (worker) includes {inc}: workers speak to the master "
                                "through common/mpi only")
            elif irank > rank:
                problems.append(f"{path} (layer {prefix}) includes {inc} of the higher layer "
                                f"{iprefix}")
            elif irank == rank and iprefix != prefix:
                problems.append(f"{path} ({prefix}) includes {inc} of the sibling layer "
                                f"{iprefix}")
            if module(inc) != mod:
                graph[mod].add(module(inc))
    cycle = find_cycle(graph)
    if cycle:
        problems.append("modules in a circle: " + " -> ".join(cycle))
    if build_dir:
        check_graph(object_graph(build_dir, root), problems, "functions")
    for p in problems:
        print(f"check_layers: {p}")
    if not problems:
        print(f"check_layers: {len(graph)} modules in {len(LAYERS)} layers, no upward include, "
              "no circle")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
