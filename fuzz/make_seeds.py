#!/usr/bin/env python3
"""Regenerates the seed corpora in corpus/<target>/ from the conformance vectors.

Usage: fuzz/make_seeds.py [VECTORS]   (default: ../.jam-vectors; needs the unpacked vectors)
The seeds are committed; rerun only to refresh them.
"""
import json, os, random, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
V = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", ".jam-vectors")
J = os.path.join(V, "jam-test-vectors")
FP = os.path.join(V, "fuzz-proto", "examples", "0.7.2")


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(*p):
    with open(os.path.join(*p), "rb") as f:
        return f.read()


def unhex(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


# block_decode: the codec vectors' blocks and headers (tiny and full) and trace blocks taken
# from fuzz-protocol ImportBlock messages (the message minus its discriminator byte).
for spec in ["tiny", "full"]:
    for f in ["block", "header_0", "header_1"]:
        out("block_decode", f"{spec}_{f}", read(J, "codec", spec, f + ".bin"))
for f in ["00000002", "00000012", "00000040", "00000066"]:
    msg = read(FP, "no_forks", f + "_fuzzer_import_block.bin")
    out("block_decode", f"trace_block_{f}", msg[1:])

# fuzz_message: one message of each kind found in the examples, and a framed stream.
msgs = {
    "peer_info": read(FP, "no_forks", "00000000_fuzzer_peer_info.bin"),
    "initialize": read(FP, "no_forks", "00000001_fuzzer_initialize.bin"),
    "state_root": read(FP, "no_forks", "00000001_target_state_root.bin"),
    "import_block": read(FP, "no_forks", "00000012_fuzzer_import_block.bin"),
    "error": read(FP, "forks", "00000002_target_error.bin"),
    "get_state": bytes([4]) + bytes(range(32)),
}
for k, m in msgs.items():
    out("fuzz_message", k, m)
stream = b"".join(
    struct.pack("<I", len(m)) + m
    for m in [msgs["peer_info"], msgs["import_block"], msgs["get_state"], msgs["state_root"]]
)
out("fuzz_message", "framed_stream", stream)


# state_decode: spec byte, then (31-byte key, u32 LE length, value) pairs.
def kv_seed(keyvals, sel=0):
    b = bytes([sel])
    for kv in keyvals:
        v = unhex(kv["value"])
        b += unhex(kv["key"]) + struct.pack("<I", len(v)) + v
    return b


g = json.load(open(os.path.join(J, "traces", "storage", "genesis.json")))
out("state_decode", "storage_genesis", kv_seed(g["state"]["keyvals"]))
s = json.load(open(os.path.join(J, "traces", "safrole", "00000013.json")))
small = [kv for kv in s["post_state"]["keyvals"] if len(kv["value"]) < 20000]
out("state_decode", "safrole_13_small_items", kv_seed(small))

# pvm: raw programs from the PVM vectors with their registers, page map and memory, and a
# host script; and the storage trace's service code as a standard program.
rnd = random.Random(7)


def script(n):
    acts = b""
    for i in range(n):
        op = [0, 1, 2, 3, 7][i % 5]
        acts += bytes([op, rnd.randrange(256), rnd.randrange(1, 16)]) + struct.pack(
            "<Q", rnd.choice([0x20000, 0x30000, 0xFEFF0000, rnd.getrandbits(32)])
        )
    return bytes([n]) + acts


def raw_seed(t):
    regs = t["initial-regs"]
    b = bytes([0]) + struct.pack("<I", min(t["initial-gas"], 100000)) + script(5)
    b += struct.pack("<II", t["initial-pc"], 0x40000)
    nz = [(i, r) for i, r in enumerate(regs) if r]
    b += bytes([len(nz)]) + b"".join(bytes([i]) + struct.pack("<Q", r) for i, r in nz)
    pm = t["initial-page-map"][:8]
    b += bytes([len(pm)])
    for p in pm:
        b += struct.pack("<IHB", p["address"] // 4096, max(p["length"] // 4096 - 1, 0),
                         1 if p["is-writable"] else 0)
    mem = t["initial-memory"][:8]
    b += bytes([len(mem)])
    for m in mem:
        c = unhex(m["contents"]) if isinstance(m["contents"], str) else bytes(m["contents"])
        b += struct.pack("<IH", m["address"], len(c)) + c
    prog = t["program"]
    return b + (unhex(prog) if isinstance(prog, str) else bytes(prog))


P = os.path.join(V, "pvm-test-vectors", "programs")
for name in ["gas_basic_consume_all", "inst_jump_indirect_with_offset_ok",
             "inst_load_imm_and_jump", "inst_store_indirect_u64_with_offset_ok",
             "inst_load_u8", "inst_store_imm_u8_trap_inaccessible", "inst_ret_halt",
             "riscv_rv64ui_sd", "riscv_rv64um_div", "riscv_rv64ua_amoadd_d",
             "riscv_rv64uc_rvc", "riscv_rv64uzbb_clz", "inst_branch_eq_ok",
             "inst_shift_arithmetic_right_64", "inst_cmov_if_zero_ok"]:
    f = os.path.join(P, name + ".json")
    if os.path.exists(f):
        out("pvm", name, raw_seed(json.load(open(f))))
# Standard programs (GP (A.37)): small PVM test programs wrapped with no data, one heap page
# and a one-page stack, run from pc 0 with arguments. (The trace services' code is 137 kB: as a
# seed it would slow every run down to a few hundred per second.)
for name in ["inst_store_indirect_u64_with_offset_ok", "riscv_rv64ui_sd", "riscv_rv64um_div",
             "inst_jump_indirect_with_offset_ok"]:
    t = json.load(open(os.path.join(P, name + ".json")))
    prog = t["program"]
    c = unhex(prog) if isinstance(prog, str) else bytes(prog)
    blob = bytes(6) + struct.pack("<H", 1) + (4096).to_bytes(3, "little") + struct.pack("<I", len(c)) + c
    b = bytes([1]) + struct.pack("<I", 100000) + script(8)
    b += struct.pack("<HH", 0, 8) + bytes(range(8)) + blob
    out("pvm", f"std_{name}", b)

# block_import: the input picks a step and mutations; a few random starts, plus all-zero
# (first step, no mutation).
rbi = random.Random(11)  # its own stream: other seeds may change without changing these
out("block_import", "untouched_first", bytes(8))
for i in range(12):
    out("block_import", f"random_{i:02}", bytes(rbi.randrange(256) for _ in range(48)))
