#!/usr/bin/env node
// Runs typeberry's in-core computation (Is-Authorized Ψ_I and Refine Ψ_R, assembled into a work
// report: GP (14.12)) on one work-package bundle, and prints the report as JSON in the schema of
// the jam-types vectors (`WorkReport`), so that Marmalade's report can be compared field by field.
//
//   GP_VERSION=0.7.2 node interop/typeberry-incore.mjs --state STATE --bundle BUNDLE --core N
//       [--spec tiny|full] [--typeberry DIR]
//
// STATE: the state both the anchor and the lookup anchor refer to, one of
//   - JSON `RawState` ({"state_root", "keyvals": [{"key", "value"}]}), a trace `Genesis`
//     ({"header", "state": RawState}) or a trace step (its `post_state`) — the trace schema;
//   - binary `RawState` (32-octet root, then the key/value sequence), or a trace `genesis.bin`
//     (a header, then RawState) when the file name ends in `genesis.bin`.
// BUNDLE: the JAM-encoded work-package bundle, E(p, X^#, I^#, J^#) (GP (14.16)): the package, the
//   extrinsic data of every item (no length prefixes), the imported segments (W_G = 4104 octets
//   each), then the justifications (ignored: typeberry's InCore takes the segments as given).
//
// Exit status: 0 with the report on stdout; 2 when InCore returns an error (printed as
// {"error": ...}); 3 when typeberry throws (printed as {"exception": ...}); 1 on bad usage/input.
// typeberry 0.11.0 is imported by file path: its package `exports` map omits `in-core`.

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SEGMENT_SIZE = 4104; // W_G (GP I.4.4)

function usage(msg) {
  process.stderr.write(
    `${msg}\nusage: node typeberry-incore.mjs --state STATE --bundle BUNDLE --core N [--spec tiny|full] [--typeberry DIR]\n`,
  );
  process.exit(1);
}

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  const v = process.argv[i + 1];
  if (!k.startsWith("--") || v === undefined) usage(`bad argument ${k}`);
  args[k.slice(2)] = v;
}
if (!args.state || !args.bundle || args.core === undefined) usage("missing argument");
const core = Number(args.core);
if (!Number.isInteger(core) || core < 0 || core > 0xffff) usage(`bad core ${args.core}`);

// typeberry logs through console.* to stdout; stdout carries only the report.
for (const f of ["log", "info", "debug", "warn", "trace"]) {
  console[f] = (...xs) => process.stderr.write(`${xs.join(" ")}\n`);
}
// typeberry picks its protocol version from GP_VERSION when its modules load.
process.env.GP_VERSION ??= "0.7.2";
const TB = resolve(args.typeberry ?? resolve(HERE, "..", ".typeberry"), "node_modules/@typeberry/lib/packages");
if (!existsSync(resolve(TB, "jam/in-core/index.js"))) {
  process.stderr.write(`typeberry is not installed under ${TB} (run ../shared/interop/typeberry-install .typeberry)\n`);
  process.exit(1);
}
const lib = (p) => import(pathToFileURL(resolve(TB, p)).href);

const { InCore, RefineError } = await lib("jam/in-core/index.js");
const { Decoder } = await lib("core/codec/index.js");
const { Bytes, BytesBlob } = await lib("core/bytes/index.js");
const { Blake2b, WithHash } = await lib("core/hash/index.js");
const { tinyChainSpec, fullChainSpec, PvmBackend } = await lib("jam/config/index.js");
const { StateEntries, SerializedState } = await lib("jam/state-merkleization/index.js");
const { WorkPackage } = await lib("jam/block/work-package.js");
const { Header } = await lib("jam/block/header.js");
const { WorkExecResultKind } = await lib("jam/block/work-result.js");

const spec = (args.spec ?? "tiny") === "full" ? fullChainSpec : tinyChainSpec;
const blake2b = await Blake2b.createHasher();

// ---- state ------------------------------------------------------------------------------------
function loadEntries(path) {
  const raw = readFileSync(path);
  if (path.endsWith(".json")) {
    const j = JSON.parse(raw.toString("utf8"));
    const keyvals = j.keyvals ?? j.state?.keyvals ?? j.post_state?.keyvals;
    if (keyvals === undefined) throw new Error(`${path}: no keyvals (top level, state or post_state)`);
    return StateEntries.fromEntriesUnsafe(
      keyvals.map(({ key, value }) => [Bytes.parseBytes(key, 31).asOpaque(), BytesBlob.parseBlob(value)]),
    );
  }
  const d = Decoder.fromBlob(new Uint8Array(raw), spec);
  if (path.endsWith("genesis.bin")) Header.Codec.decode(d);
  d.bytes(32); // the recorded state root: the root is recomputed below
  const entries = StateEntries.Codec.decode(d);
  d.finish();
  return entries;
}
function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}
let entries;
try {
  entries = loadEntries(args.state);
} catch (e) {
  fail(`state ${args.state}: ${e?.message ?? e}`);
}
const state = SerializedState.fromStateEntries(spec, blake2b, entries);
const stateRoot = entries.getRootHash(blake2b);
// InCore asks for the anchor's and the lookup anchor's states by header hash; both are this one
// state (the generator makes the context name its root and its timeslot).
const states = {
  getState: () => state,
  getStateRoot: async () => stateRoot,
};

// ---- bundle (GP (14.16)) ----------------------------------------------------------------------
let pkg;
let pkgHash;
let extrinsics;
let imports;
try {
  const bundle = new Uint8Array(readFileSync(args.bundle));
  const d = Decoder.fromBlob(bundle, spec);
  pkg = WorkPackage.Codec.decode(d);
  pkgHash = blake2b.hashBytes(BytesBlob.blobFrom(bundle.subarray(0, d.bytesRead()))).asOpaque();
  extrinsics = pkg.items.map((item) => item.extrinsic.map((x) => d.bytes(x.len)));
  imports = pkg.items.map((item) =>
    item.importSegments.map((s) => ({ index: s.index, data: d.bytes(SEGMENT_SIZE) })),
  );
} catch (e) {
  fail(`bundle ${args.bundle}: ${e?.message ?? e}`);
}
// The justifications follow; InCore does not check them.

// ---- run --------------------------------------------------------------------------------------
const hex = (b) => b.toString();
const resultJson = (r) => {
  switch (r.kind) {
    case WorkExecResultKind.ok:
      return { ok: hex(r.okBlob) };
    case WorkExecResultKind.outOfGas:
      return { out_of_gas: null };
    case WorkExecResultKind.panic:
      return { panic: null };
    case WorkExecResultKind.incorrectNumberOfExports:
      return { bad_exports: null };
    case WorkExecResultKind.digestTooBig:
      return { output_oversize: null };
    case WorkExecResultKind.badCode:
      return { bad_code: null };
    case WorkExecResultKind.codeOversize:
      return { code_oversize: null };
    default:
      throw new Error(`unknown result kind ${r.kind}`);
  }
};

let out;
try {
  const inCore = InCore.new(spec, states, PvmBackend.BuiltIn, blake2b);
  const res = await inCore.refine(WithHash.new(pkgHash, pkg), core, imports, extrinsics);
  if (res.isError) {
    process.stdout.write(`${JSON.stringify({ error: RefineError[res.error], details: res.details() })}\n`);
    process.exit(2);
  }
  const r = res.ok.report;
  const c = r.context;
  out = {
    package_spec: {
      hash: hex(r.workPackageSpec.hash),
      length: Number(r.workPackageSpec.length),
      erasure_root: hex(r.workPackageSpec.erasureRoot),
      exports_root: hex(r.workPackageSpec.exportsRoot),
      exports_count: Number(r.workPackageSpec.exportsCount),
    },
    context: {
      anchor: hex(c.anchor),
      state_root: hex(c.stateRoot),
      beefy_root: hex(c.beefyRoot),
      lookup_anchor: hex(c.lookupAnchor),
      lookup_anchor_slot: Number(c.lookupAnchorSlot),
      prerequisites: c.prerequisites.map(hex),
    },
    core_index: Number(r.coreIndex),
    authorizer_hash: hex(r.authorizerHash),
    auth_gas_used: BigInt(r.authorizationGasUsed),
    auth_output: hex(r.authorizationOutput),
    segment_root_lookup: r.segmentRootLookup.map((x) => ({
      work_package_hash: hex(x.workPackageHash),
      segment_tree_root: hex(x.segmentTreeRoot),
    })),
    results: r.results.map((w) => ({
      service_id: Number(w.serviceId),
      code_hash: hex(w.codeHash),
      payload_hash: hex(w.payloadHash),
      accumulate_gas: BigInt(w.gas),
      result: resultJson(w.result),
      refine_load: {
        gas_used: BigInt(w.load.gasUsed),
        imports: Number(w.load.importedSegments),
        extrinsic_count: Number(w.load.extrinsicCount),
        extrinsic_size: Number(w.load.extrinsicSize),
        exports: Number(w.load.exportedSegments),
      },
    })),
    // Not part of the report: the exported segments' hashes, to compare exports directly.
    exported_segment_hashes: res.ok.exports.map((perItem) =>
      perItem.map((s) => hex(blake2b.hashBytes(BytesBlob.blobFrom(s.raw)))),
    ),
  };
} catch (e) {
  process.stdout.write(`${JSON.stringify({ exception: String(e?.stack ?? e) })}\n`);
  process.exit(3);
}
// u64 fields (gas) leave as exact JSON numbers: BigInt goes through a marker.
const json = JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? `__u64__${v}` : v), 2);
process.stdout.write(`${json.replace(/"__u64__(\d+)"/g, "$1")}\n`);
