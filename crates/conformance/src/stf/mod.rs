//! Runners for the STF vectors, `stf/<subsystem>/{tiny,full}/*.bin`.
//!
//! Each file is one test case `{input, pre_state, output, post_state}` in the JAM encoding
//! (schema: `stf/<subsystem>/<subsystem>.asn`). A runner decodes it with the chain parameters
//! of its folder, runs the subsystem on the pre-state and input, and compares the output (value
//! or exact error code) and the whole post-state, naming the first field that differs.

use crate::{CaseOutcome, Config};
use marmalade_codec::{decode_all, Decode, Reader};
use marmalade_types::ChainSpec;
use serde::Serialize;
use std::path::Path;

pub mod accumulate;
pub mod assurances;
pub mod authorizations;
pub mod disputes;
pub mod history;
pub mod preimages;
pub mod reports;
pub mod safrole;
pub mod statistics;

/// An on-chain subsystem with STF vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subsystem {
    /// `stf/safrole` (GP 6).
    Safrole,
    /// `stf/disputes` (GP 10).
    Disputes,
    /// `stf/history` (GP 7).
    History,
    /// `stf/assurances` (GP 11.2).
    Assurances,
    /// `stf/reports` (GP 11.4).
    Reports,
    /// `stf/statistics` (GP 13).
    Statistics,
    /// `stf/authorizations` (GP 8).
    Authorizations,
    /// `stf/preimages` (GP 12.4).
    Preimages,
    /// `stf/accumulate` (GP 12).
    Accumulate,
}

impl Subsystem {
    /// The subsystem a folder name stands for.
    pub fn from_dir(name: &str) -> Option<Subsystem> {
        Some(match name {
            "safrole" => Subsystem::Safrole,
            "disputes" => Subsystem::Disputes,
            "history" => Subsystem::History,
            "assurances" => Subsystem::Assurances,
            "reports" => Subsystem::Reports,
            "statistics" => Subsystem::Statistics,
            "authorizations" => Subsystem::Authorizations,
            "preimages" => Subsystem::Preimages,
            "accumulate" => Subsystem::Accumulate,
            _ => return None,
        })
    }
}

/// The chain parameters of a vector configuration.
pub fn spec_of(cfg: Config) -> &'static ChainSpec {
    match cfg {
        Config::Tiny => &ChainSpec::TINY,
        Config::Full => &ChainSpec::FULL,
    }
}

/// Runs one STF vector file.
pub fn run(path: &Path, sub: Subsystem, cfg: Config) -> CaseOutcome {
    let spec = spec_of(cfg);
    let result = match sub {
        Subsystem::Safrole => safrole::run(path, spec),
        Subsystem::Disputes => disputes::run(path, spec),
        Subsystem::History => history::run(path, spec),
        Subsystem::Assurances => assurances::run(path, spec),
        Subsystem::Reports => reports::run(path, spec),
        Subsystem::Statistics => statistics::run(path, spec),
        Subsystem::Authorizations => authorizations::run(path, spec),
        Subsystem::Preimages => preimages::run(path, spec),
        Subsystem::Accumulate => accumulate::run(path, spec),
    };
    CaseOutcome::from_result(crate::name_of(path), result)
}

/// Decodes a `.bin` test case with the chain's sequence lengths; the whole file must be the case.
pub fn load<T: Decode>(path: &Path, spec: &ChainSpec) -> Result<T, String> {
    let bytes = crate::read(path)?;
    decode_all(&bytes, spec.seq_lens()).map_err(|e| format!("decoding {}: {e}", path.display()))
}

/// `Ok` if `got == expected`, else an error naming `what` and the first differing field path
/// (e.g. `post_state.gamma_a[2].id: expected "0x12..", got "0x34.."`).
pub fn compare<T: Serialize + PartialEq>(what: &str, expected: &T, got: &T) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let e = serde_json::to_value(expected).map_err(|e| e.to_string())?;
    let g = serde_json::to_value(got).map_err(|e| e.to_string())?;
    Err(match first_difference(what.to_string(), &e, &g) {
        Some(d) => d,
        None => format!("{what}: differs (not visible in JSON form)"),
    })
}

fn first_difference(path: String, e: &serde_json::Value, g: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (e, g) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_difference(format!("{path}.{k}"), va, vb) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{path}.{k}: missing")),
                }
            }
            b.keys()
                .find(|k| !a.contains_key(*k))
                .map(|k| format!("{path}.{k}: unexpected"))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                if let Some(d) = first_difference(format!("{path}[{i}]"), va, vb) {
                    return Some(d);
                }
            }
            (a.len() != b.len())
                .then(|| format!("{path}: expected {} items, got {}", a.len(), b.len()))
        }
        _ if e == g => None,
        _ => Some(format!("{path}: expected {}, got {}", short(e), short(g))),
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!("{}…", &s[..120])
    } else {
        s
    }
}

/// Compares a subsystem's result with the vector's expected output, and the post-state with
/// the expected post-state (on an error the post-state must equal the pre-state, which the
/// vectors encode as `post_state`).
pub fn check<O, E, S>(
    expected_output: &Result<O, E>,
    got_output: &Result<O, E>,
    expected_state: &S,
    got_state: &S,
) -> Result<(), String>
where
    O: Serialize + PartialEq + std::fmt::Debug,
    E: PartialEq + std::fmt::Debug,
    S: Serialize + PartialEq,
{
    match (expected_output, got_output) {
        (Ok(e), Ok(g)) => compare("output.ok", e, g)?,
        (Err(e), Err(g)) if e == g => {}
        (e, g) => return Err(format!("output: expected {}, got {}", brief(e), brief(g))),
    }
    compare("post_state", expected_state, got_state)
}

fn brief<O: std::fmt::Debug, E: std::fmt::Debug>(r: &Result<O, E>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("error {e:?}"),
    }
}

/// The vectors' `Output ::= CHOICE { ok OutputData, err ErrorCode }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorOutput<O, E> {
    /// `ok`: the subsystem's output.
    Ok(O),
    /// `err`: the subsystem's error code.
    Err(E),
}

impl<O: Decode, E: Decode> Decode for VectorOutput<O, E> {
    fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<Self> {
        match r.byte()? {
            0 => Ok(VectorOutput::Ok(O::decode(r)?)),
            1 => Ok(VectorOutput::Err(E::decode(r)?)),
            tag => Err(marmalade_codec::Error::InvalidTag { ty: "Output", tag }),
        }
    }
}

impl<O, E> From<VectorOutput<O, E>> for Result<O, E> {
    fn from(o: VectorOutput<O, E>) -> Self {
        match o {
            VectorOutput::Ok(v) => Ok(v),
            VectorOutput::Err(e) => Err(e),
        }
    }
}

/// The vectors' `TestCase ::= SEQUENCE { input, pre-state, output, post-state }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase<I, S, O> {
    /// The subsystem's input.
    pub input: I,
    /// The prior state.
    pub pre_state: S,
    /// The expected output.
    pub output: O,
    /// The expected posterior state (the prior state when the output is an error).
    pub post_state: S,
}

impl<I: Decode, S: Decode, O: Decode> Decode for TestCase<I, S, O> {
    fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<Self> {
        Ok(TestCase {
            input: I::decode(r)?,
            pre_state: S::decode(r)?,
            output: O::decode(r)?,
            post_state: S::decode(r)?,
        })
    }
}

/// A subsystem's pure transition: `(spec, prior state, input) -> (posterior state, output)`.
pub type Transition<I, S, O, E> = fn(&ChainSpec, &S, &I) -> Result<(S, O), E>;

/// Runs a vector whose output is `ok`/`err`: the transition on the pre-state, then the output
/// and the whole post-state compared (on an error, the pre-state stands for the post-state:
/// a failing transition changes nothing).
pub fn run_case<I, S, O, E>(
    path: &Path,
    spec: &ChainSpec,
    transition: Transition<I, S, O, E>,
) -> Result<(), String>
where
    I: Decode,
    S: Decode + Serialize + PartialEq,
    O: Decode + Serialize + PartialEq + std::fmt::Debug,
    E: Decode + PartialEq + std::fmt::Debug,
{
    let case: TestCase<I, S, VectorOutput<O, E>> = load(path, spec)?;
    let expected: Result<O, E> = case.output.into();
    match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => check(&expected, &Ok(out), &case.post_state, &post),
        Err(e) => check(&expected, &Err(e), &case.post_state, &case.pre_state),
    }
}

/// Runs a vector whose output is `NULL` and whose transition cannot fail: only the post-state
/// carries information.
pub fn run_null_case<I, S>(
    path: &Path,
    spec: &ChainSpec,
    transition: Transition<I, S, (), std::convert::Infallible>,
) -> Result<(), String>
where
    I: Decode,
    S: Decode + Serialize + PartialEq,
{
    let case: TestCase<I, S, ()> = load(path, spec)?;
    let Ok((post, ())) = transition(spec, &case.pre_state, &case.input);
    compare("post_state", &case.post_state, &post)
}
