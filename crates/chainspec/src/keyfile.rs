//! Validator key files: a validator's 32-octet JIP-5 seed, from which all its secret keys
//! derive ([`ValidatorKeys::from_seed`]).
//!
//! The format is a JSON object:
//!
//! ```json
//! {
//!   "seed": "<64 hex digits, optionally 0x-prefixed>",
//!   "ed25519": "<64 hex digits>",
//!   "bandersnatch": "<64 hex digits>"
//! }
//! ```
//!
//! `seed` is required. `ed25519` and `bandersnatch` are the public keys the seed derives; they
//! are optional, and when given they are checked on loading, so that a wrong or corrupted seed
//! is caught before the node signs anything. [`KeyFile::to_json`] writes all three. Keep the
//! file private: the seed is every secret key of the validator.

use marmalade_authoring::{trivial_seed, ValidatorKeys};
use marmalade_types::{BandersnatchPublic, Ed25519Public};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a key file cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read.
    #[error("cannot read key file {path}: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not a JSON object with a string `seed` (the message never quotes the file's text).
    #[error("not a key file: {0}")]
    Json(String),
    /// A field is not 32 octets of hex.
    #[error("{0} is not 32 octets of hex")]
    Hex(&'static str),
    /// A public key given does not match the seed's.
    #[error("the {0} public key does not match the seed's")]
    Mismatch(&'static str),
}

/// A validator's secret seed (JIP-5). Its `Debug` never shows the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidatorSeed([u8; 32]);

impl ValidatorSeed {
    /// The seed of these 32 octets.
    pub fn new(seed: [u8; 32]) -> Self {
        ValidatorSeed(seed)
    }

    /// JIP-5's `trivial_seed(i)`: development and tests only.
    pub fn trivial(i: u32) -> Self {
        ValidatorSeed(trivial_seed(i))
    }

    /// The seed's octets.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The secret keys the seed derives (JIP-5).
    pub fn keys(&self) -> ValidatorKeys {
        ValidatorKeys::from_seed(&self.0)
    }
}

impl fmt::Debug for ValidatorSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ValidatorSeed(<secret>)")
    }
}

/// A loaded key file: the seed and the public keys it derives. `Debug` shows only the
/// public keys.
#[derive(Clone)]
pub struct KeyFile {
    seed: ValidatorSeed,
    ed25519: Ed25519Public,
    bandersnatch: BandersnatchPublic,
}

#[derive(Deserialize)]
struct RawKeyFile {
    seed: String,
    #[serde(default)]
    ed25519: Option<String>,
    #[serde(default)]
    bandersnatch: Option<String>,
}

#[derive(Serialize)]
struct OutKeyFile {
    seed: String,
    ed25519: String,
    bandersnatch: String,
}

fn hex32(field: &'static str, s: &str) -> Result<[u8; 32], KeyFileError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| KeyFileError::Hex(field))?;
    Ok(out)
}

impl KeyFile {
    /// The key file of `seed`.
    pub fn new(seed: ValidatorSeed) -> Self {
        let keys = seed.keys();
        KeyFile {
            ed25519: keys.ed25519_public(),
            bandersnatch: keys.bandersnatch_public(),
            seed,
        }
    }

    /// Parses a key file's JSON text, checking any public keys it gives against the seed.
    pub fn from_json(json: &str) -> Result<KeyFile, KeyFileError> {
        // serde_json's messages may quote the input, which holds the secret: keep only the
        // position and the kind of error.
        let raw: RawKeyFile = serde_json::from_str(json).map_err(|e| {
            KeyFileError::Json(format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let file = KeyFile::new(ValidatorSeed(hex32("seed", &raw.seed)?));
        if let Some(e) = raw.ed25519 {
            if hex32("ed25519", &e)? != file.ed25519 {
                return Err(KeyFileError::Mismatch("ed25519"));
            }
        }
        if let Some(b) = raw.bandersnatch {
            if hex32("bandersnatch", &b)? != file.bandersnatch {
                return Err(KeyFileError::Mismatch("bandersnatch"));
            }
        }
        Ok(file)
    }

    /// Reads and parses a key file ([`KeyFile::from_json`]).
    pub fn load(path: &Path) -> Result<KeyFile, KeyFileError> {
        let json = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// The JSON text: the seed and both public keys, hex without `0x`.
    pub fn to_json(&self) -> String {
        let out = OutKeyFile {
            seed: hex::encode(self.seed.expose()),
            ed25519: hex::encode(self.ed25519),
            bandersnatch: hex::encode(self.bandersnatch),
        };
        // A struct of strings always serializes.
        serde_json::to_string_pretty(&out).expect("serializing strings")
    }

    /// The seed.
    pub fn seed(&self) -> &ValidatorSeed {
        &self.seed
    }

    /// The secret keys (JIP-5).
    pub fn keys(&self) -> ValidatorKeys {
        self.seed.keys()
    }

    /// $k_e$: the Ed25519 public key.
    pub fn ed25519_public(&self) -> Ed25519Public {
        self.ed25519
    }

    /// $k_b$: the Bandersnatch public key.
    pub fn bandersnatch_public(&self) -> BandersnatchPublic {
        self.bandersnatch
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("seed", &self.seed)
            .field("ed25519", &hex::encode(self.ed25519))
            .field("bandersnatch", &hex::encode(self.bandersnatch))
            .finish()
    }
}
