//! Marmalade's in-core computation against typeberry 0.11.0's (`interop/typeberry-incore.mjs`):
//! the work-report function Ξ (GP (14.12)) with Is-Authorized Ψ_I (GP (B.1)) and Refine Ψ_R
//! (GP (B.5)) on generated work-packages for a payload-driven test service
//! (`support/incore_service.rs`).
//!
//! Every field of the two reports must be equal, except where typeberry departs from GP 0.7.2
//! in one of the ways listed in [`DEPARTURES`] — each checked to be exactly that departure
//! (typeberry's value is the one the departure predicts), so any other difference fails.
//! Independently of both implementations, the test checks the exports (the segments' hashes
//! typeberry lists and the exports root Marmalade reports, GP (14.17)) and the bundle length
//! against what it computes itself.
//!
//! The cases and every difference, with the GP equation deciding it: `interop/INCORE.md`.
//!
//! typeberry is installed into `.typeberry` by `../shared/interop/typeberry-install` when
//! missing; without node, npm or the installer the test fails, it does not skip.

mod support {
    pub mod incore_service;
}

use marmalade_codec::Encode;
use marmalade_conformance::trace::RawState;
use marmalade_crypto::blake2b_256;
use marmalade_state::State;
use marmalade_types::constants::{MAX_REPORT_VAR_SIZE, SEGMENT_SIZE};
use marmalade_types::{
    ChainSpec, ExtrinsicSpec, ImportSpec, RefineContext, WorkItem, WorkPackage, WorkReport,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::incore_service::{self as svc, Cmd};

/// The authorizer configuration of every package.
const AUTH_CONFIG: &[u8] = b"incore-config";
/// Refine gas of an item unless a case says otherwise.
const REFINE_GAS: u64 = 5_000_000;
/// Accumulate gas of every item: distinct from the refine gas, so `accumulate_gas` shows
/// which limit a report carries.
const ACCUMULATE_GAS: u64 = 12_345;

/// An import reference of a case: segment `index` of the package of case `case`, named by its
/// segments root or (`by_package`) by its package hash.
#[derive(Debug, Clone)]
struct ImportRef {
    case: &'static str,
    index: u16,
    by_package: bool,
}

/// Which code hash an item names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Code {
    /// The service's current code.
    Current,
    /// The current code of [`svc::LATE_CODE_SERVICE`] (available only from slot 10).
    Late,
    /// The current code hash of [`svc::NO_CODE_SERVICE`] (no preimage).
    Unprovided,
    /// Another available code preimage of the service (not its current code hash).
    Alt,
    /// A hash with no preimage.
    Missing,
}

#[derive(Debug, Clone)]
struct Item {
    service: u32,
    code: Code,
    cmds: Vec<Cmd>,
    export_count: u16,
    imports: Vec<ImportRef>,
    extrinsics: Vec<Vec<u8>>,
    gas: u64,
}

fn item(cmds: Vec<Cmd>) -> Item {
    Item {
        service: svc::SERVICE,
        code: Code::Current,
        cmds,
        export_count: 0,
        imports: vec![],
        extrinsics: vec![],
        gas: REFINE_GAS,
    }
}

fn exporting(cmds: Vec<Cmd>, export_count: u16) -> Item {
    Item {
        export_count,
        ..item(cmds)
    }
}

fn importing(cmds: Vec<Cmd>, imports: Vec<ImportRef>) -> Item {
    Item {
        imports,
        ..item(cmds)
    }
}

fn imp(case: &'static str, index: u16, by_package: bool) -> ImportRef {
    ImportRef {
        case,
        index,
        by_package,
    }
}

/// What a case expects of typeberry beyond the departures of every report.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Both produce a report.
    Report,
    /// Both refuse the package (authorization fails: GP (14.12), `r ∉ B`).
    NoReport,
    /// typeberry throws: it does not implement `pages`, `peek` and `poke` (GP (B.6)).
    TypeberryThrows,
    /// Marmalade's guarantor refuses the package — an item's code hash is not its service's
    /// current one, which no report on chain may carry (GP (11.42)) — while typeberry's
    /// InCore, which leaves validation to its caller, reports `BAD`.
    GuarantorRefuses,
}

#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    what: &'static str,
    items: Vec<Item>,
    token: Vec<u8>,
    core: u16,
    expect: Expect,
}

fn case(name: &'static str, what: &'static str, items: Vec<Item>) -> Case {
    Case {
        name,
        what,
        items,
        token: name.as_bytes().to_vec(),
        core: 0,
        expect: Expect::Report,
    }
}

/// The generated packages, in order: a package may import what an earlier one exported.
fn cases() -> Vec<Case> {
    let w_r = MAX_REPORT_VAR_SIZE as u16;
    let lookup = |blob: &[u8]| Cmd::Lookup {
        service: None,
        hash: blake2b_256(blob),
    };
    let lookup_in = |s: u8, blob: &[u8]| Cmd::Lookup {
        service: Some(s),
        hash: blake2b_256(blob),
    };
    let v = vec![
        case("empty", "empty output", vec![item(vec![])]),
        case("gas", "the gas host call", vec![item(vec![Cmd::Gas, Cmd::Gas])]),
        case("arg-len", "length of the refine argument", vec![item(vec![Cmd::ArgLen])]),
        case("export-1", "one export", vec![exporting(vec![Cmd::Export { n: 1, tag: 1 }], 1)]),
        case("export-3", "three exports", vec![exporting(vec![Cmd::Export { n: 3, tag: 3 }], 3)]),
        case(
            "export-2-items",
            "exports of two items (the second's indices offset by the first's)",
            vec![
                exporting(vec![Cmd::Export { n: 2, tag: 4 }], 2),
                exporting(vec![Cmd::Export { n: 3, tag: 5 }], 3),
            ],
        ),
        case(
            "export-count-low",
            "3 exports where the item declares 2 (⊚)",
            vec![exporting(vec![Cmd::Export { n: 3, tag: 6 }], 2)],
        ),
        case(
            "export-count-high",
            "1 export where the item declares 2 (⊚)",
            vec![exporting(vec![Cmd::Export { n: 1, tag: 7 }], 2)],
        ),
        case(
            "export-then-panic",
            "2 declared exports made, then a panic",
            vec![exporting(vec![Cmd::Export { n: 2, tag: 8 }, Cmd::Trap], 2)],
        ),
        case(
            "export-then-oog",
            "1 declared export made, then out of gas",
            vec![Item {
                gas: 100_000,
                ..exporting(vec![Cmd::Export { n: 1, tag: 9 }, Cmd::Burn], 1)
            }],
        ),
        case(
            "import-1-root",
            "import 1 segment of export-1 by segments root",
            vec![importing(vec![Cmd::Import { n: 1, by_item: false }], vec![imp("export-1", 0, false)])],
        ),
        case(
            "import-3-root",
            "import the 3 segments of export-3 by root, fetch kind 6",
            vec![importing(
                vec![Cmd::Import { n: 3, by_item: false }],
                vec![imp("export-3", 2, false), imp("export-3", 0, false), imp("export-3", 1, false)],
            )],
        ),
        case(
            "import-kind-5",
            "imports of two items fetched with kind 5",
            vec![
                importing(vec![Cmd::Import { n: 1, by_item: true }], vec![imp("export-2-items", 4, false)]),
                importing(
                    vec![Cmd::Import { n: 2, by_item: true }],
                    vec![imp("export-2-items", 0, false), imp("export-3", 1, false)],
                ),
            ],
        ),
        case(
            "import-by-package",
            "import by work-package hash (h⊞): the segment-root lookup",
            vec![importing(
                vec![Cmd::Import { n: 2, by_item: false }],
                vec![imp("export-3", 1, true), imp("export-1", 0, true)],
            )],
        ),
        case(
            "import-and-export",
            "import 1 and export 2",
            vec![Item {
                export_count: 2,
                ..importing(
                    vec![Cmd::Import { n: 1, by_item: false }, Cmd::Export { n: 2, tag: 10 }],
                    vec![imp("export-2-items", 3, false)],
                )
            }],
        ),
        case("inner-halt", "inner machine halts", vec![item(vec![Cmd::Inner(0)])]),
        case("inner-panic", "inner machine traps", vec![item(vec![Cmd::Inner(1)])]),
        case("inner-oog", "inner machine runs out of gas", vec![item(vec![Cmd::Inner(2)])]),
        case("inner-host", "inner machine makes a host call", vec![item(vec![Cmd::Inner(3)])]),
        case("inner-fault", "inner machine page-faults", vec![item(vec![Cmd::Inner(4)])]),
        case(
            "inner-twice",
            "two inner machines in turn, then gas",
            vec![item(vec![Cmd::Inner(0), Cmd::Inner(3), Cmd::Gas])],
        ),
        Case {
            expect: Expect::TypeberryThrows,
            ..case(
                "inner-memory",
                "inner machine with pages, poke, invoke, peek",
                vec![item(vec![Cmd::InnerMemory(41)])],
            )
        },
        case("oog", "refine loops out of gas", vec![Item { gas: 200_000, ..item(vec![Cmd::Burn]) }]),
        case(
            "oog-tight",
            "refine gas too low to finish",
            vec![Item { gas: 40, ..item(vec![Cmd::Gas, Cmd::Gas, Cmd::Gas]) }],
        ),
        case("panic", "refine traps", vec![item(vec![Cmd::Gas, Cmd::Trap])]),
        case("output-100", "100-octet output", vec![item(vec![Cmd::Output(100)])]),
        case(
            "output-at-limit",
            "output of W_R minus the authorizer trace's length",
            vec![item(vec![Cmd::Output(w_r - auth_trace_len_of("output-at-limit"))])],
        ),
        case(
            "output-over-limit",
            "output one octet over W_R with the authorizer trace (⊖)",
            vec![item(vec![Cmd::Output(w_r - auth_trace_len_of("output-over-limit") + 1)])],
        ),
        case(
            "output-49k",
            "output of 49 KiB (⊖)",
            vec![exporting(vec![Cmd::Export { n: 1, tag: 11 }, Cmd::Output(49 * 1024)], 1)],
        ),
        case(
            "output-sum-over",
            "two items, 30 KiB each: the second crosses W_R (⊖)",
            vec![item(vec![Cmd::Output(30 * 1024)]), item(vec![Cmd::Output(30 * 1024)])],
        ),
        case(
            "lookup-own-code",
            "historical lookup of the service's own code",
            vec![item(vec![lookup(&svc::refine_code())])],
        ),
        case(
            "lookup-own-code-by-index",
            "historical lookup of the service's own code, naming the service by index",
            vec![item(vec![lookup_in(svc::SERVICE as u8, &svc::refine_code())])],
        ),
        case(
            "lookup-early",
            "historical lookup of a preimage available since slot 0, by index",
            vec![item(vec![lookup_in(svc::SERVICE as u8, svc::EARLY_PREIMAGE)])],
        ),
        case(
            "lookup-late",
            "historical lookup of a preimage available only from slot 10 (Λ: none at slot 0), by index",
            vec![item(vec![lookup_in(svc::SERVICE as u8, svc::LATE_PREIMAGE)])],
        ),
        case(
            "lookup-missing",
            "historical lookup of an unknown hash",
            vec![item(vec![Cmd::Lookup { service: None, hash: [7; 32] }])],
        ),
        case(
            "lookup-other-service",
            "historical lookup in another service (the bootstrap service 0's code)",
            vec![item(vec![Cmd::Lookup { service: Some(0), hash: bootstrap_code_hash() }])],
        ),
        case("fetch-constants", "fetch kind 0 (constants)", vec![item(vec![Cmd::Fetch { kind: 0, index: 0 }])]),
        case("fetch-entropy", "fetch kind 1 (entropy: zero hash in refine)", vec![item(vec![Cmd::Fetch { kind: 1, index: 0 }])]),
        case("fetch-auth-trace", "fetch kind 2 (authorizer trace)", vec![item(vec![Cmd::Fetch { kind: 2, index: 0 }])]),
        case("fetch-package", "fetch kind 7 (the encoded package)", vec![item(vec![Cmd::Fetch { kind: 7, index: 0 }])]),
        case(
            "fetch-config-token-context",
            "fetch kinds 8, 9, 10",
            vec![item(vec![
                Cmd::Fetch { kind: 8, index: 0 },
                Cmd::Fetch { kind: 9, index: 0 },
                Cmd::Fetch { kind: 10, index: 0 },
            ])],
        ),
        case(
            "fetch-items",
            "fetch kinds 11, 12 and 13 of the other item",
            vec![
                item(vec![
                    Cmd::Fetch { kind: 11, index: 0 },
                    Cmd::Fetch { kind: 12, index: 1 },
                    Cmd::Fetch { kind: 13, index: 1 },
                    Cmd::Fetch { kind: 13, index: 9 },
                ]),
                item(vec![Cmd::Gas]),
            ],
        ),
        case(
            "extrinsics",
            "two extrinsics: load fields, fetch kinds 3 and 4",
            vec![Item {
                extrinsics: vec![b"first extrinsic".to_vec(), vec![0xee; 300]],
                ..item(vec![
                    Cmd::Fetch { kind: 3, index: 0 },
                    Cmd::Fetch { kind: 4, index: 1 },
                    Cmd::Fetch { kind: 4, index: 2 },
                ])
            }],
        ),
        Case {
            expect: Expect::GuarantorRefuses,
            ..case(
            "alt-code",
            "item names an available code preimage that is not the current code hash",
            vec![Item { code: Code::Alt, ..item(vec![Cmd::Gas]) }],
        )
        },
        Case {
            expect: Expect::GuarantorRefuses,
            ..case(
            "missing-code",
            "item names a code hash with no preimage (BAD)",
            vec![Item { code: Code::Missing, ..item(vec![]) }],
        )
        },
        Case {
            expect: Expect::GuarantorRefuses,
            ..case(
            "missing-service",
            "item of a service that does not exist (BAD)",
            vec![Item { service: 4242, ..item(vec![]) }],
        )
        },
        case(
            "code-not-yet-available",
            "the service's current code is available only from slot 10 (Λ: BAD at slot 0)",
            vec![Item { service: svc::LATE_CODE_SERVICE, code: Code::Late, ..item(vec![Cmd::Gas]) }],
        ),
        case(
            "code-preimage-missing",
            "the service's current code hash has no preimage (BAD)",
            vec![Item { service: svc::NO_CODE_SERVICE, code: Code::Unprovided, ..item(vec![]) }],
        ),
        case(
            "mixed-items",
            "four items: ok, panic, oog, export",
            vec![
                item(vec![Cmd::Output(10)]),
                item(vec![Cmd::Trap]),
                Item { gas: 50_000, ..item(vec![Cmd::Burn]) },
                exporting(vec![Cmd::Export { n: 2, tag: 12 }], 2),
            ],
        ),
        Case { core: 1, ..case("core-1", "refined on core 1", vec![item(vec![Cmd::Fetch { kind: 0, index: 0 }])]) },
        Case {
            token: vec![0xff, 1, 2],
            expect: Expect::NoReport,
            ..case("auth-panics", "the authorizer panics: no report", vec![item(vec![])])
        },
        Case {
            token: vec![],
            ..case("auth-empty-token", "an empty authorization token", vec![item(vec![Cmd::Gas])])
        },
    ];
    v
}

/// The authorizer trace length of the named case: the core octet and the token, its name
/// (the test authorizer's output).
fn auth_trace_len_of(name: &str) -> u16 {
    1 + name.len() as u16
}

fn bootstrap_code_hash() -> [u8; 32] {
    let spec = ChainSpec::TINY;
    let s = svc::genesis_state(&spec, AUTH_CONFIG);
    s.accounts
        .get(&0)
        .expect("the storage genesis has service 0")
        .code_hash
}

// ---- building packages and bundles --------------------------------------------------------

/// What the test knows of a refined case, for later imports.
#[derive(Debug, Clone)]
struct Exported {
    package_hash: [u8; 32],
    segments: Vec<Vec<u8>>,
    root: [u8; 32],
}

/// The segments the service exports for `cmds` as item `i` (its export command writes
/// `[k, i, tag]` for k counting down, zero-padded to W_G: GP (B.6) Ω_E).
fn expected_exports(i: usize, cmds: &[Cmd]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for c in cmds {
        match c {
            Cmd::Export { n, tag } => {
                for k in (0..*n).rev() {
                    let mut s = vec![0u8; SEGMENT_SIZE];
                    s[0] = k;
                    s[1] = i as u8;
                    s[2] = *tag;
                    out.push(s);
                }
            }
            Cmd::Trap | Cmd::Burn => break,
            _ => {}
        }
    }
    out
}

fn segments_root(segs: &[Vec<u8>]) -> [u8; 32] {
    marmalade_merkle::binary::merkle_root_cd(segs, blake2b_256)
}

struct Built {
    bundle: Vec<u8>,
    package_hash: [u8; 32],
    /// Segment roots of the packages imported by hash, for the segment-root lookup.
    lookups: BTreeMap<[u8; 32], [u8; 32]>,
}

fn build(c: &Case, context: &RefineContext, done: &HashMap<&str, Exported>) -> Built {
    let code_hash = blake2b_256(&svc::refine_code());
    let mut extrinsics = Vec::new();
    let mut imports: Vec<Vec<u8>> = Vec::new();
    let mut justifications = Vec::new();
    let mut lookups = BTreeMap::new();
    let items = c
        .items
        .iter()
        .map(|it| {
            let import_segments = it
                .imports
                .iter()
                .map(|r| {
                    let e = done.get(r.case).unwrap_or_else(|| {
                        panic!("{} imports from {} before it ran", c.name, r.case)
                    });
                    let s = &e.segments[r.index as usize];
                    imports.push(s.clone());
                    justifications.push(marmalade_merkle::binary::justification(
                        &e.segments,
                        r.index as usize,
                        blake2b_256,
                    ));
                    if r.by_package {
                        lookups.insert(e.package_hash, e.root);
                        ImportSpec {
                            tree_root: e.package_hash,
                            index: r.index | 0x8000,
                        }
                    } else {
                        ImportSpec {
                            tree_root: e.root,
                            index: r.index,
                        }
                    }
                })
                .collect();
            extrinsics.extend(it.extrinsics.iter().cloned());
            WorkItem {
                service: it.service,
                code_hash: match it.code {
                    Code::Current => code_hash,
                    Code::Alt => blake2b_256(&svc::alt_refine_code()),
                    Code::Late => blake2b_256(&svc::late_refine_code()),
                    Code::Unprovided => svc::NO_CODE_HASH,
                    Code::Missing => [0x5a; 32],
                },
                refine_gas_limit: it.gas,
                accumulate_gas_limit: ACCUMULATE_GAS,
                export_count: it.export_count,
                payload: svc::payload(&it.cmds),
                import_segments,
                extrinsic: it
                    .extrinsics
                    .iter()
                    .map(|x| ExtrinsicSpec {
                        hash: blake2b_256(x),
                        len: x.len() as u32,
                    })
                    .collect(),
            }
        })
        .collect();
    let package = WorkPackage {
        auth_code_host: svc::SERVICE,
        auth_code_hash: blake2b_256(&svc::auth_code()),
        context: context.clone(),
        authorization: c.token.clone(),
        authorizer_config: AUTH_CONFIG.to_vec(),
        items,
    };
    // E(p, X#, I#, J#) (GP (14.16)): only the justifications carry length prefixes.
    let encoded = package.encode();
    let package_hash = blake2b_256(&encoded);
    let mut bundle = encoded;
    for x in &extrinsics {
        bundle.extend_from_slice(x);
    }
    for s in &imports {
        bundle.extend_from_slice(s);
    }
    for j in &justifications {
        let j: &Vec<[u8; 32]> = j;
        bundle.extend(j.encode());
    }
    Built {
        bundle,
        package_hash,
        lookups,
    }
}

// ---- the two implementations --------------------------------------------------------------

/// What an implementation made of a package.
#[derive(Debug)]
enum Outcome {
    Report(Value),
    NoReport(String),
    Threw(String),
}

fn workspace() -> PathBuf {
    svc::workspace_root()
}

/// Installs typeberry into `.typeberry` if it is not there (idempotent); panics if it cannot.
fn ensure_typeberry() -> PathBuf {
    let root = workspace();
    let lib = root.join(".typeberry/node_modules/@typeberry/lib/packages/jam/in-core/index.js");
    let node = Command::new("node").arg("--version").output();
    assert!(
        matches!(&node, Ok(o) if o.status.success()),
        "node is not available ({node:?}): the typeberry comparison needs node 20+"
    );
    if !lib.exists() {
        let installer = root.join("../shared/interop/typeberry-install");
        assert!(
            installer.exists(),
            "typeberry is not installed in {} and the installer {} is missing",
            root.join(".typeberry").display(),
            installer.display()
        );
        let st = Command::new(&installer)
            .arg(root.join(".typeberry"))
            .status()
            .expect("run the typeberry installer");
        assert!(st.success(), "the typeberry installer failed: {st}");
        assert!(
            lib.exists(),
            "the installer ran but {} is missing",
            lib.display()
        );
    }
    root.join("interop/typeberry-incore.mjs")
}

fn run_typeberry(script: &Path, state: &Path, bundle: &Path, core: u16) -> Outcome {
    let out = Command::new("node")
        .arg(script)
        .args(["--state".as_ref(), state.as_os_str()])
        .args(["--bundle".as_ref(), bundle.as_os_str()])
        .args(["--core", &core.to_string()])
        .env("GP_VERSION", "0.7.2")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    match out.status.code() {
        Some(0) => Outcome::Report(
            serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("typeberry's report is not JSON ({e}): {stdout}")),
        ),
        Some(2) => Outcome::NoReport(stdout),
        Some(3) => Outcome::Threw(stdout),
        _ => panic!(
            "typeberry-incore.mjs failed ({}): {stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Marmalade's report: `marmalade_guarantor::build_report` on the decoded bundle.
fn run_marmalade(spec: &ChainSpec, state: &State, built: &Built, core: u16) -> Outcome {
    struct Lookups<'a>(&'a BTreeMap<[u8; 32], [u8; 32]>);
    impl marmalade_guarantor::SegmentRootLookup for Lookups<'_> {
        fn segments_root(&self, package: &[u8; 32]) -> Option<[u8; 32]> {
            self.0.get(package).copied()
        }
    }
    let bundle = marmalade_da::decode_bundle(&built.bundle, spec)
        .unwrap_or_else(|e| panic!("Marmalade does not decode the bundle: {e}"));
    let cache = marmalade_guarantor::CodeCache::new();
    match marmalade_guarantor::build_report(
        spec,
        state,
        core,
        &bundle,
        &Lookups(&built.lookups),
        &cache,
    ) {
        Ok(w) => Outcome::Report(serde_json::to_value(&w.report).expect("report to JSON")),
        Err(e) => Outcome::NoReport(e.to_string()),
    }
}

/// `marmalade refine --state STATE --bundle BUNDLE --core N`: the `report` of its output.
fn run_cli(state: &Path, bundle: &Path, core: u16) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_marmalade"))
        .arg("refine")
        .args(["--state".as_ref(), state.as_os_str()])
        .args(["--bundle".as_ref(), bundle.as_os_str()])
        .args(["--core", &core.to_string()])
        .output()
        .expect("run marmalade refine");
    if out.status.success() {
        let v: Value = serde_json::from_slice(&out.stdout).expect("marmalade refine prints JSON");
        Outcome::Report(v["report"].clone())
    } else {
        Outcome::NoReport(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

// ---- comparison ---------------------------------------------------------------------------

/// A documented way in which typeberry 0.11.0 departs from GP 0.7.2, and the value it then
/// reports.
struct Departure {
    id: &'static str,
    /// The GP equation that decides the field.
    gp: &'static str,
    what: &'static str,
}

const DEPARTURES: &[Departure] = &[
    Departure {
        id: "length-zero",
        gp: "GP (14.17): l = |b|, the bundle's length",
        what: "typeberry reports package_spec.length = 0",
    },
    Departure {
        id: "erasure-root-zero",
        gp: "GP (14.17): u = M_B of the bundle and segment shards",
        what: "typeberry reports a zero erasure root",
    },
    Departure {
        id: "exports-root-zero",
        gp: "GP (14.17): e = M(s), the constant-depth root of the exports",
        what: "typeberry reports a zero exports root",
    },
    Departure {
        id: "srl-own-package",
        gp: "GP (14.12): keys(l) = the packages of imports named by hash (h⊞), with their segment roots (14.14)",
        what: "typeberry's segment_root_lookup is [(its own package hash, zero root)]",
    },
    Departure {
        id: "accumulate-gas",
        gp: "GP (14.9): g = w_a, the item's accumulate gas limit",
        what: "typeberry reports the refine gas limit w_g as accumulate_gas",
    },
    Departure {
        id: "no-oversize",
        gp: "GP (14.12): ⊖ when |r| + z > W_R (z: the authorizer trace and the earlier outputs)",
        what: "typeberry never reports ⊖: it keeps the output (and the exports, count)",
    },
    Departure {
        id: "bad-exports-gas",
        gp: "GP (14.12): ⊚ keeps u, the gas Ψ_R used",
        what: "typeberry reports the refine gas limit as gas_used on ⊚ (and no exports)",
    },
    Departure {
        id: "error-exports",
        gp: "GP (B.5) and (14.12): on ∞/☇ Ψ_R returns no exports; |e| = 0 ≠ w_e gives ⊚, and the exports are w_e zero segments",
        what: "typeberry keeps the exports of a panicking/out-of-gas item when their number matches w_e (result ☇/∞, its own segments)",
    },
    Departure {
        id: "bad-code-gas",
        gp: "GP (B.5): BAD and BIG come with u = 0",
        what: "typeberry reports the refine gas limit as gas_used on BAD",
    },
    Departure {
        id: "historical-lookup",
        gp: "GP (9.7) Λ and (B.6) Ω_H: a preimage is found only if its lookup history makes it available at the lookup-anchor slot",
        what: "typeberry returns any stored preimage, ignoring the lookup history",
    },
    Departure {
        id: "lookup-self",
        gp: "GP (B.6) Ω_H: ω_7 = 2^64 − 1 names the refining service w_s",
        what: "typeberry looks up service 2^32 − 1 (its CURRENT_SERVICE_ID placeholder) instead: NONE",
    },
    Departure {
        id: "refine-argument",
        gp: "GP (B.5): a = E(c, i, w_s, ↕w_y, H(p)), the payload included",
        what: "typeberry's refine argument carries |w_y| but not w_y (a shorter argument)",
    },
    Departure {
        id: "bad-exports-count",
        gp: "GP (14.9): the digest's export count is w_e; (14.12): ⊚ comes with w_e zero segments; (14.17): n = |s|",
        what: "typeberry reports 0 exports for a ⊚ item (refine_load.exports and exports_count)",
    },
    Departure {
        id: "inner-halt-pc",
        gp: "GP (A.1): Ψ returns pc 0 on ∎ and ☇; (B.6) Ω_K stores it, Ω_X returns it",
        what: "after an inner halt, typeberry's expunge returns the pc of the halting instruction",
    },
    Departure {
        id: "inner-oog-gas",
        gp: "GP (A.1): after ∞ the gas g′ is negative (−1 here); (B.6) Ω_K writes E_8(g′), but E_8 is defined on naturals only — not decided by the GP",
        what: "after an inner out-of-gas, Marmalade writes g′ = −1 as two's complement (2^64 − 1), typeberry writes 0",
    },
    Departure {
        id: "inner-host-pc",
        gp: "GP (B.6) Ω_K: on a host call the guest's pc becomes ı′ + skip(ı′) + 1",
        what: "after an inner host call, typeberry's expunge returns the pc of the ecalli",
    },
    Departure {
        id: "fetch-11-prefix",
        gp: "GP (B.6) Ω_Y kind 11: E(↕[S(w) | w ← p_w]), length-prefixed",
        what: "typeberry's kind 11 has no length prefix",
    },
    Departure {
        id: "inner-memory",
        gp: "GP (B.6): Ω_Z (pages), Ω_P (peek), Ω_O (poke)",
        what: "typeberry throws 'Method not implemented' (no report)",
    },
];

/// The size of what the service appends to its output for `cmd` (see `support`).
fn output_size(cmd: &Cmd) -> usize {
    match cmd {
        Cmd::Export { n, .. } => 8 * *n as usize,
        Cmd::Import { n, .. } => 24 * *n as usize,
        Cmd::Inner(_) => 40,
        Cmd::InnerMemory(_) => 48,
        Cmd::Output(n) => *n as usize,
        Cmd::Lookup { .. } => 24,
        Cmd::Gas | Cmd::ArgLen => 8,
        Cmd::Fetch { .. } => 40,
        Cmd::Burn | Cmd::Trap => 0,
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(u64::MAX, |x| u64::from_le_bytes(x.try_into().unwrap()))
}

/// Explains, block by block of the service's output, where typeberry's output differs from
/// Marmalade's: every differing block must be one of the departures, with the values it
/// predicts; otherwise `None`.
fn explain_output(it: &Item, mm: &[u8], tb: &[u8]) -> Option<&'static str> {
    if mm.len() != tb.len() {
        return None;
    }
    let late = blake2b_256(svc::LATE_PREIMAGE);
    let mut at = 0;
    let mut found = None;
    for cmd in &it.cmds {
        let n = output_size(cmd);
        let (m, t) = (&mm[at..at + n], &tb[at..at + n]);
        at += n;
        if m == t {
            continue;
        }
        let same_but =
            |r: std::ops::Range<usize>| m[..r.start] == t[..r.start] && m[r.end..] == t[r.end..];
        let why = match cmd {
            // ∎: Ψ returns pc 0; typeberry keeps the halting jump_ind's (at 16).
            Cmd::Inner(0) if same_but(32..40) && u64_at(m, 32) == 0 && u64_at(t, 32) == 16 => {
                "inner-halt-pc"
            }
            // ∞: g′ = −1 (GP (A.1)); E_8 of it is GP's gap: Marmalade two's complement, typeberry 0.
            Cmd::Inner(2)
                if same_but(16..24) && u64_at(m, 16) == u64::MAX && u64_at(t, 16) == 0 =>
            {
                "inner-oog-gas"
            }
            // h: the pc moves past `ecalli 5` (5 octets); typeberry leaves it at 0.
            Cmd::Inner(3) if same_but(32..40) && u64_at(m, 32) == 5 && u64_at(t, 32) == 0 => {
                "inner-host-pc"
            }
            // Kind 11 is E(↕[S(w)]): typeberry leaves out the length prefix (one octet here).
            Cmd::Fetch { kind: 11, .. }
                if u64_at(m, 0) == u64_at(t, 0) + 1 && m[9..] == t[8..39] =>
            {
                "fetch-11-prefix"
            }
            Cmd::Lookup { service: None, .. }
                if u64_at(t, 0) == u64::MAX && u64_at(m, 0) != u64::MAX =>
            {
                "lookup-self"
            }
            Cmd::Lookup { hash, .. }
                if *hash == late
                    && u64_at(m, 0) == u64::MAX
                    && u64_at(t, 0) == svc::LATE_PREIMAGE.len() as u64 =>
            {
                "historical-lookup"
            }
            // a = E(c, i, w_s, ↕w_y, H(p)): typeberry has E(|w_y|) where GP has ↕w_y.
            Cmd::ArgLen if u64_at(m, 0) == u64_at(t, 0) + svc::payload(&it.cmds).len() as u64 => {
                "refine-argument"
            }
            _ => return None,
        };
        found = Some(why);
    }
    found
}

/// What a path missing on one side compares as: unlike `null` (an error result's value).
fn absent() -> Value {
    Value::from("<absent>")
}

/// `path → value` for every leaf of a JSON value.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(
                    &format!("{prefix}{}{k}", if prefix.is_empty() { "" } else { "." }),
                    x,
                    out,
                );
            }
        }
        Value::Array(a) => {
            out.insert(format!("{prefix}.len"), Value::from(a.len()));
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), v.clone());
        }
    }
}

/// The departure that explains typeberry's `tb` where Marmalade says `mm` at `path`, if any.
fn explain(
    path: &str,
    tb: &Value,
    mm: &Value,
    c: &Case,
    built: &Built,
    tb_report: &Value,
    mm_report: &Value,
) -> Option<&'static str> {
    let bytes_of = |v: &Value| {
        hex::decode(v.as_str().unwrap_or("").trim_start_matches("0x")).unwrap_or_default()
    };
    let zero = Value::from(format!("0x{}", "00".repeat(32)));
    let item_of =
        |p: &str| -> Option<usize> { p.strip_prefix("results[")?.split(']').next()?.parse().ok() };
    let mm_result = |i: usize| mm_report["results"][i]["result"].clone();
    let is_err = |r: &Value, k: &str| r.get(k).is_some();
    match path {
        "package_spec.length" if tb == &Value::from(0) => return Some("length-zero"),
        "package_spec.erasure_root" if tb == &zero => return Some("erasure-root-zero"),
        "package_spec.exports_root" if tb == &zero => return Some("exports-root-zero"),
        _ => {}
    }
    if path.starts_with("segment_root_lookup") {
        let own = serde_json::json!([{
            "work_package_hash": format!("0x{}", hex::encode(built.package_hash)),
            "segment_tree_root": zero,
        }]);
        if tb_report["segment_root_lookup"] == own {
            return Some("srl-own-package");
        }
    }
    if let Some(i) = item_of(path) {
        let it = &c.items[i];
        if path.ends_with(".accumulate_gas")
            && tb == &Value::from(it.gas)
            && mm == &Value::from(ACCUMULATE_GAS)
        {
            return Some("accumulate-gas");
        }
        let mr = mm_result(i);
        let tr = &tb_report["results"][i]["result"];
        // typeberry keeps the whole output the service makes.
        let full_output = tr
            .get("ok")
            .is_some_and(|o| bytes_of(o).len() == it.cmds.iter().map(output_size).sum::<usize>());
        if is_err(&mr, "output_oversize")
            && full_output
            && (path.contains(".result") || path.ends_with(".exports"))
        {
            return Some("no-oversize");
        }
        if is_err(&mr, "bad_exports")
            && is_err(tr, "bad_exports")
            && path.ends_with(".gas_used")
            && tb == &Value::from(it.gas)
        {
            return Some("bad-exports-gas");
        }
        if is_err(&mr, "bad_exports")
            && (is_err(tr, "panic") || is_err(tr, "out_of_gas"))
            && (path.contains(".result") || path.ends_with(".exports"))
        {
            return Some("error-exports");
        }
        if is_err(&mr, "bad_exports")
            && is_err(tr, "bad_exports")
            && path.ends_with(".exports")
            && tb == &Value::from(0)
            && mm == &Value::from(it.export_count)
        {
            return Some("bad-exports-count");
        }
        if is_err(&mr, "bad_code")
            && is_err(tr, "bad_code")
            && path.ends_with(".gas_used")
            && tb == &Value::from(it.gas)
        {
            return Some("bad-code-gas");
        }
        if it.code == Code::Late && is_err(&mr, "bad_code") && !is_err(tr, "bad_code") {
            return Some("historical-lookup");
        }
        if let Some(ok) = path.strip_suffix(".result.ok") {
            let _ = ok;
            return explain_output(it, &bytes_of(mm), &bytes_of(tb));
        }
    }
    // A departure in an item's output moves later items' and the package's derived fields.
    if path == "package_spec.exports_count" {
        let tbr = &tb_report["results"];
        if (0..c.items.len()).any(|i| {
            is_err(&mm_result(i), "output_oversize")
                || (is_err(&mm_result(i), "bad_exports")
                    && !is_err(&tbr[i]["result"], "bad_exports"))
        }) {
            return Some("error-exports");
        }
        if (0..c.items.len()).any(|i| {
            is_err(&mm_result(i), "bad_exports") && is_err(&tbr[i]["result"], "bad_exports")
        }) {
            return Some("bad-exports-count");
        }
    }
    None
}

/// One difference found.
#[derive(Debug)]
struct Diff {
    case: &'static str,
    path: String,
    marmalade: String,
    typeberry: String,
    departure: Option<&'static str>,
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…({} chars)", &s[..36], s.len())
    } else {
        s
    }
}

#[test]
fn marmalade_and_typeberry_agree_on_in_core_reports() {
    let script = ensure_typeberry();
    let spec = ChainSpec::TINY;
    let state = svc::genesis_state(&spec, AUTH_CONFIG);
    let raw = RawState::from_state(&state, &spec);
    let dir = std::env::temp_dir().join(format!("marmalade-incore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state_file = dir.join("state.json");
    std::fs::write(&state_file, serde_json::to_vec(&raw).unwrap()).unwrap();
    let context = RefineContext {
        anchor: [0x11; 32],
        state_root: raw.state_root,
        beefy_root: [0; 32],
        lookup_anchor: [0x11; 32],
        lookup_anchor_slot: state.components.tau,
        prerequisites: vec![],
    };

    let cases = cases();
    assert!(cases.len() >= 30, "at least 30 packages");
    let mut done: HashMap<&str, Exported> = HashMap::new();
    let mut diffs: Vec<Diff> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut table = Vec::new();
    for c in &cases {
        let built = build(c, &context, &done);
        let bundle_file = dir.join(format!("{}.bundle", c.name));
        std::fs::write(&bundle_file, &built.bundle).unwrap();
        let tb = run_typeberry(&script, &state_file, &bundle_file, c.core);
        let mm = run_marmalade(&spec, &state, &built, c.core);
        // The CLI on the files typeberry read gives the same report (or refuses too). It
        // resolves imports by package hash only through the state's recent history (GP (7.8)),
        // which here records no package: it refuses those.
        let cli = run_cli(&state_file, &bundle_file, c.core);
        match (&mm, &cli) {
            (Outcome::Report(m), Outcome::Report(l)) if m == l => {}
            (Outcome::NoReport(_), Outcome::NoReport(_)) => {}
            (Outcome::Report(_), Outcome::NoReport(e)) if !built.lookups.is_empty() => {
                if !e.contains("unknown segments root") {
                    failures.push(format!("{}: the CLI refuses with {e}", c.name));
                }
            }
            _ => failures.push(format!(
                "{}: `marmalade refine` gives {cli:?}, build_report {mm:?}",
                c.name
            )),
        }
        let sources_clean = c.items.iter().all(|it| {
            !it.cmds
                .iter()
                .any(|x| matches!(x, Cmd::Trap | Cmd::Burn | Cmd::Output(_)))
                && expected_exports(0, &it.cmds).len() == it.export_count as usize
        });

        // What the test knows without either implementation.
        let segs: Vec<Vec<u8>> = c
            .items
            .iter()
            .enumerate()
            .flat_map(|(i, it)| expected_exports(i, &it.cmds))
            .collect();
        if sources_clean && !segs.is_empty() {
            done.insert(
                c.name,
                Exported {
                    package_hash: built.package_hash,
                    root: segments_root(&segs),
                    segments: segs.clone(),
                },
            );
        }
        let (tb_report, mm_report) = match (&tb, &mm, c.expect) {
            (Outcome::Report(t), Outcome::Report(m), Expect::Report) => (t.clone(), m.clone()),
            (Outcome::NoReport(_), Outcome::NoReport(_), Expect::NoReport) => {
                table.push(format!("| {} | {} | no report (both) |", c.name, c.what));
                continue;
            }
            (Outcome::Threw(t), Outcome::Report(m), Expect::TypeberryThrows) => {
                assert!(
                    t.contains("not implemented"),
                    "{}: typeberry threw something else: {t}",
                    c.name
                );
                // What GP (B.6) gives, checked without typeberry: pages, poke → OK (0);
                // invoke → HALT (0); peek → OK; the poked 41 incremented; expunge → pc 0
                // (GP (A.1): Ψ returns pc 0 on a halt).
                let want: Vec<u8> = [0u64, 0, 0, 0, 42, 0]
                    .iter()
                    .flat_map(|w| w.to_le_bytes())
                    .collect();
                let got = m["results"][0]["result"]["ok"]
                    .as_str()
                    .map(|h| hex::decode(&h[2..]).unwrap());
                if got.as_deref() != Some(&want[..]) {
                    failures.push(format!(
                        "{}: Marmalade's output {:?} is not {}",
                        c.name,
                        m["results"][0]["result"],
                        hex::encode(&want)
                    ));
                }
                diffs.push(Diff {
                    case: c.name,
                    path: "(whole report)".into(),
                    marmalade: short(&m["results"][0]["result"]),
                    typeberry: "throws: Method not implemented".into(),
                    departure: Some("inner-memory"),
                });
                table.push(format!(
                    "| {} | {} | Marmalade {}; typeberry throws |",
                    c.name,
                    c.what,
                    short(&m["results"][0]["result"])
                ));
                continue;
            }
            (Outcome::Report(t), Outcome::NoReport(m), Expect::GuarantorRefuses) => {
                let bad = t["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["result"].get("bad_code").is_some());
                if !bad {
                    failures.push(format!("{}: typeberry reports no BAD item: {t}", c.name));
                }
                table.push(format!(
                    "| {} | {} | Marmalade refuses: {m}; typeberry reports BAD (gas_used {}) |",
                    c.name, c.what, t["results"][0]["refine_load"]["gas_used"]
                ));
                continue;
            }
            (t, m, e) => {
                failures.push(format!(
                    "{}: expected {e:?}, typeberry {t:?}, Marmalade {m:?}",
                    c.name
                ));
                continue;
            }
        };
        // The report must decode as a WorkReport of the vectors' schema, on both sides.
        for (who, r) in [("typeberry", &tb_report), ("Marmalade", &mm_report)] {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("exported_segment_hashes");
            if let Err(e) = serde_json::from_value::<WorkReport>(r) {
                failures.push(format!("{}: {who}'s report does not decode: {e}", c.name));
            }
        }
        // Independent checks: the package hash, the bundle length, the exports.
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}", c.name));
            }
        };
        let hash_hex = Value::from(format!("0x{}", hex::encode(built.package_hash)));
        for (who, r) in [("typeberry", &tb_report), ("Marmalade", &mm_report)] {
            check(
                r["package_spec"]["hash"] == hash_hex,
                format!(
                    "{who}'s package hash {} is not H(E(p)) {hash_hex}",
                    r["package_spec"]["hash"]
                ),
            );
        }
        check(
            mm_report["package_spec"]["length"] == built.bundle.len(),
            format!(
                "Marmalade's bundle length {} is not |b| = {} (GP (14.17))",
                mm_report["package_spec"]["length"],
                built.bundle.len()
            ),
        );
        // GP (14.12)/(14.14): l maps exactly the packages imported by hash to their roots.
        let want_l: Vec<Value> = built
            .lookups
            .iter()
            .map(|(h, r)| {
                serde_json::json!({
                    "work_package_hash": format!("0x{}", hex::encode(h)),
                    "segment_tree_root": format!("0x{}", hex::encode(r)),
                })
            })
            .collect();
        check(
            mm_report["segment_root_lookup"] == Value::from(want_l.clone()),
            format!(
                "Marmalade's segment_root_lookup {} is not {want_l:?} (GP (14.12))",
                mm_report["segment_root_lookup"]
            ),
        );
        let all_ok =
            |r: &Value| (0..c.items.len()).all(|i| r["results"][i]["result"].get("ok").is_some());
        // GP (14.12): an item's exports are its own when its result is a blob, else w_e zero
        // segments; (14.17): e = M(s), n = |s|.
        let s: Vec<Vec<u8>> = c
            .items
            .iter()
            .enumerate()
            .flat_map(|(i, it)| {
                if mm_report["results"][i]["result"].get("ok").is_some() {
                    expected_exports(i, &it.cmds)
                } else {
                    vec![vec![0; SEGMENT_SIZE]; it.export_count as usize]
                }
            })
            .collect();
        let root = Value::from(format!("0x{}", hex::encode(segments_root(&s))));
        check(
            mm_report["package_spec"]["exports_root"] == root
                && mm_report["package_spec"]["exports_count"] == s.len(),
            format!(
                "Marmalade's exports root {} / count {} are not M(s) = {root} / |s| = {} (GP (14.17))",
                mm_report["package_spec"]["exports_root"],
                mm_report["package_spec"]["exports_count"],
                s.len()
            ),
        );
        if all_ok(&tb_report) {
            let want: Vec<Vec<String>> = c
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    expected_exports(i, &it.cmds)
                        .iter()
                        .map(|s| format!("0x{}", hex::encode(blake2b_256(s))))
                        .collect()
                })
                .collect();
            check(
                tb_report["exported_segment_hashes"] == serde_json::json!(want),
                format!(
                    "typeberry's exported segments {} are not the service's",
                    tb_report["exported_segment_hashes"]
                ),
            );
        }
        // Field by field.
        let (mut t, mut m) = (BTreeMap::new(), BTreeMap::new());
        let strip = |v: &Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("exported_segment_hashes");
            v
        };
        flatten("", &strip(&tb_report), &mut t);
        flatten("", &strip(&mm_report), &mut m);
        let mut case_diffs = Vec::new();
        for path in t
            .keys()
            .chain(m.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (tv, mv) = (
                t.get(path).cloned().unwrap_or_else(absent),
                m.get(path).cloned().unwrap_or_else(absent),
            );
            if tv == mv {
                continue;
            }
            let departure = explain(path, &tv, &mv, c, &built, &tb_report, &mm_report);
            if departure.is_none() {
                failures.push(format!(
                    "{}: {path}: Marmalade {mv}, typeberry {tv}",
                    c.name
                ));
            }
            case_diffs.push(Diff {
                case: c.name,
                path: path.clone(),
                marmalade: short(&mv),
                typeberry: short(&tv),
                departure,
            });
        }
        let ids: std::collections::BTreeSet<_> =
            case_diffs.iter().filter_map(|d| d.departure).collect();
        let results: Vec<String> = (0..c.items.len())
            .map(|i| short(&mm_report["results"][i]["result"]))
            .collect();
        table.push(format!(
            "| {} | {} | {} | {} |",
            c.name,
            c.what,
            results.join(", "),
            ids.into_iter().collect::<Vec<_>>().join(", ")
        ));
        diffs.extend(case_diffs);
    }

    let mut summary = String::from(
        "| case | what | Marmalade results | typeberry departures |\n|---|---|---|---|\n",
    );
    summary.push_str(&table.join("\n"));
    summary.push_str(
        "\n\n| case | field | Marmalade | typeberry | departure |\n|---|---|---|---|---|\n",
    );
    for d in &diffs {
        summary.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            d.case,
            d.path,
            d.marmalade,
            d.typeberry,
            d.departure.unwrap_or("**UNEXPLAINED**")
        ));
    }
    let out = dir.join("summary.md");
    std::fs::write(&out, &summary).unwrap();
    println!("{summary}\n(written to {})", out.display());
    if failures.is_empty() && std::env::var_os("INCORE_KEEP").is_none() {
        // Keep only the summary (INCORE_KEEP keeps the state and bundles).
        for c in &cases {
            let _ = std::fs::remove_file(dir.join(format!("{}.bundle", c.name)));
        }
        let _ = std::fs::remove_file(&state_file);
    }
    for d in DEPARTURES {
        println!("{}: {} — {}", d.id, d.gp, d.what);
    }
    assert!(
        failures.is_empty(),
        "{} unexplained differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The output comparison accepts a departure only with the values it predicts.
#[test]
fn output_departures_need_their_values() {
    let it = item(vec![Cmd::Gas, Cmd::Inner(0)]);
    let mut mm = vec![0u8; 48];
    mm[..8].copy_from_slice(&1000u64.to_le_bytes());
    let mut tb = mm.clone();
    assert_eq!(
        explain_output(&it, &mm, &tb),
        None,
        "no difference, no departure"
    );
    // The expunge word of the inner block: 0 (GP (A.1)) against typeberry's 16.
    tb[8 + 32..8 + 40].copy_from_slice(&16u64.to_le_bytes());
    assert_eq!(explain_output(&it, &mm, &tb), Some("inner-halt-pc"));
    tb[8 + 32..8 + 40].copy_from_slice(&17u64.to_le_bytes());
    assert_eq!(explain_output(&it, &mm, &tb), None, "another pc");
    tb[8 + 32..8 + 40].copy_from_slice(&16u64.to_le_bytes());
    tb[0] ^= 1;
    assert_eq!(explain_output(&it, &mm, &tb), None, "a gas difference");
    tb[0] ^= 1;
    tb.push(0);
    assert_eq!(explain_output(&it, &mm, &tb), None, "another length");
}
