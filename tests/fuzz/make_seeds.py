#!/usr/bin/env python3
"""make_seeds.py: (re)writes the committed seed corpora of the fuzz harnesses
in tests/fuzz/<harness>/corpus from small hand-written cases and from the
first records of the benchmark files (read by path, never copied whole):

  program/corpus      program texts: the named EZNAS programs, every primitive
                      once, deep nesting, refused texts; two raw postfix inputs
  arch/corpus         byte 0 = the space's position in common/nets/space.c's
                      registry (SPACES below), then one architecture string
  bench_json/corpus   byte 0 = the table (fuzz_bench_json.c's k_tables), then
                      a JSON file of two records (NDS records cut to the
                      fields the loader reads)
  bench_table/corpus  byte 0 = 0 (nb201) or 1 (nats_sss), then a CSV of
                      the header and three rows
  stats_h5/corpus     the two files of make_stats_seed (--stats-seed-tool), as
                      *.hdf5 (the repository ignores *.h5)

Usage: make_seeds.py DATA_DIR OUT_DIR --stats-seed-tool BUILD/tests/make_stats_seed
"""
import argparse
import json
import os
import subprocess
import tempfile

# common/nets/space.c's registry order (byte 0 of an arch input)
SPACES = ["nb201", "nats_sss", "nasbench_macro", "channel_resnet", "channel_mobilenet",
          "nds_resnet_lr-wd_in", "nds_vanilla_lr-wd_in", "nds_resnext-a_in", "nds_resnext-b_in",
          "nds_amoeba_in", "nds_darts_in", "nds_darts_fix-w-d_in", "nds_darts_lr-wd_in",
          "nds_enas_in", "nds_nasnet_in", "nds_pnas_in"]
NDS_FILES = {"nds_resnet_lr-wd_in": "ResNet_lr-wd_in.json",
             "nds_vanilla_lr-wd_in": "Vanilla_lr-wd_in.json",
             "nds_resnext-a_in": "ResNeXt-A_in.json", "nds_resnext-b_in": "ResNeXt-B_in.json",
             "nds_amoeba_in": "Amoeba_in.json", "nds_darts_in": "DARTS_in.json",
             "nds_darts_fix-w-d_in": "DARTS_fix-w-d_in.json",
             "nds_darts_lr-wd_in": "DARTS_lr-wd_in.json", "nds_enas_in": "ENAS_in.json",
             "nds_nasnet_in": "NASNet_in.json", "nds_pnas_in": "PNAS_in.json"}
JSON_TABLES = ["nds_darts_in", "nds_resnet_lr-wd_in", "nasbench_macro", "channel_resnet"]
PRIMITIVES_1 = ["log", "abslog", "abs", "square", "exp", "normalize", "relu", "sign",
                "heaviside", "reciprocal", "softmax", "sigmoid", "ones_like", "zeros_like",
                "pos_mask", "neg_mask", "frobenius", "det", "logdet", "eig_ratio", "mean",
                "mean_abs", "numel", "add_noise"]
PRIMITIVES_2 = ["add", "sub", "mul", "matmul", "lt", "gt", "eq", "hamming", "kl_div", "cosine"]


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def program_seeds(out):
    d = os.path.join(out, "program", "corpus")
    texts = {
        "eznas_a": "frobenius(sigmoid(logdet(sign(inpact_grad_data))))",
        "eznas_a_wt": "frobenius(sigmoid(logdet(sign(wt_grad_noise))))",
        "unary_all": "(".join(PRIMITIVES_1) + "(act_data" + ")" * len(PRIMITIVES_1),
        "commutative": "add(mul(act_grad_perturb, inpact_data), mul(inpact_data, act_grad_perturb))",
        "spaces": "  cosine ( wt_grad_data ,\n\twt )  ",
        "deep": "abs(" * 60 + "wt" + ")" * 60,
        "err_unknown": "frobenius(foo(wt))",
        "err_unclosed": "mean(add(wt, act_data)",
        "err_trailing": "mean(wt))",
        "err_arity": "add(wt)",
    }
    for p in PRIMITIVES_2:
        texts[f"binary_{p}"] = f"mean({p}(preact_noise, inpact_grad_data))"
    for name, text in texts.items():
        write(d, name + ".txt", text)
    # raw postfix: byte 0x01, length, codes (terminal 0, terminal 1, add=32)
    write(d, "raw_add.bin", bytes([1, 3, 0, 1, 32]))
    write(d, "raw_invalid.bin", bytes([1, 2, 0, 1]))


def first_nds_net(data_dir, space):
    with open(os.path.join(data_dir, "nds", NDS_FILES[space])) as f:
        return json.load(f)[0]


def arch_seeds(data_dir, out):
    d = os.path.join(out, "arch", "corpus")
    with open(os.path.join(data_dir, "nb201", "nb201.csv")) as f:
        f.readline()
        nb201 = f.readline().split(",")[1]
    with open(os.path.join(data_dir, "nasbench_macro", "nas-bench-macro_cifar10.json")) as f:
        macro = next(iter(json.load(f)))
    strings = {"nb201": nb201, "nats_sss": "8:16:24:32:64", "nasbench_macro": macro,
               "channel_resnet": "1111111", "channel_mobilenet": "4432214"}
    for space in SPACES[5:]:
        strings[space] = json.dumps(first_nds_net(data_dir, space)["net"], separators=(",", ":"))
    for i, space in enumerate(SPACES):
        write(d, f"{i:02d}_{space}.bin", bytes([i]) + strings[space].encode())
    write(d, "00_nb201_bad.bin", bytes([0]) + b"|nor_conv_3x3~0|+|foo~0|")


def cut_nds_record(rec):
    return {"net": rec["net"], "params": rec["params"], "flops": rec["flops"],
            "test_ep_top1": rec["test_ep_top1"][-2:]}


def json_seeds(data_dir, out):
    d = os.path.join(out, "bench_json", "corpus")
    for i, table in enumerate(JSON_TABLES):
        if table.startswith("nds_"):
            with open(os.path.join(data_dir, "nds", NDS_FILES[table])) as f:
                recs = json.load(f)[:2]
            text = json.dumps([cut_nds_record(r) for r in recs], separators=(",", ":"))
        else:
            path = ("nasbench_macro/nas-bench-macro_cifar10.json" if table == "nasbench_macro"
                    else "channel_bench_macro/Results_ResNet.json")
            with open(os.path.join(data_dir, path)) as f:
                items = list(json.load(f).items())[:2]
            text = json.dumps(dict(items), separators=(",", ":"))
        write(d, f"{i}_{table}.bin", bytes([i]) + text.encode())


def table_seeds(data_dir, out):
    d = os.path.join(out, "bench_table", "corpus")
    for i, space in enumerate(["nb201", "nats_sss"]):
        with open(os.path.join(data_dir, space, f"{space}.csv")) as f:
            lines = [f.readline() for _ in range(4)]
        write(d, f"{i}_{space}.bin", bytes([i]) + "".join(lines).encode())


def stats_seeds(tool, out):
    d = os.path.join(out, "stats_h5", "corpus")
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, tmp], check=True)
        for name in ("seed_params.h5", "seed_plain.h5"):
            with open(os.path.join(tmp, name), "rb") as f:
                write(d, name.replace(".h5", ".hdf5"), f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--stats-seed-tool", required=True)
    args = ap.parse_args()
    program_seeds(args.out_dir)
    arch_seeds(args.data_dir, args.out_dir)
    json_seeds(args.data_dir, args.out_dir)
    table_seeds(args.data_dir, args.out_dir)
    stats_seeds(args.stats_seed_tool, args.out_dir)
    print(f"seed corpora written under {args.out_dir}")


if __name__ == "__main__":
    main()
