//! Ships the ring-VRF SRS with the crate.
//!
//! The Zcash BLS12-381 powers-of-tau file (`bls12-381-srs-2-11-uncompressed-zcash.bin`,
//! 590,320 bytes) is part of the `ark-vrf` package itself. We locate that package with
//! `cargo metadata` (falling back to the registry source folder under `$CARGO_HOME`), check the
//! file's SHA-256 and copy it into `OUT_DIR`, from where `src/bandersnatch.rs` embeds it with
//! `include_bytes!`. `MARMALADE_SRS_FILE` overrides the location.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const ARK_VRF_VERSION: &str = "0.2.2";
const SRS_REL: &str = "data/srs/bls12-381-srs-2-11-uncompressed-zcash.bin";
const SRS_LEN: usize = 590_320;
const SRS_SHA256: &str = "1d7d27e4f5f3c6190989bea58803180d3e19f725a57069392a405ac78b233c7d";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MARMALADE_SRS_FILE");

    let srs = locate().unwrap_or_else(|why| {
        panic!(
            "cannot find the ring-VRF SRS ({SRS_REL} of ark-vrf {ARK_VRF_VERSION}): {why}. \
             Set MARMALADE_SRS_FILE to its path."
        )
    });
    println!("cargo:rerun-if-changed={}", srs.display());
    let bytes = std::fs::read(&srs)
        .unwrap_or_else(|e| panic!("cannot read SRS file {}: {e}", srs.display()));
    assert_eq!(
        bytes.len(),
        SRS_LEN,
        "SRS {} has the wrong size",
        srs.display()
    );
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest,
        SRS_SHA256,
        "SRS {} has the wrong SHA-256",
        srs.display()
    );

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::write(
        out.join("bls12-381-srs-2-11-uncompressed-zcash.bin"),
        &bytes,
    )
    .expect("cannot write the SRS into OUT_DIR");
}

fn locate() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("MARMALADE_SRS_FILE") {
        return Ok(PathBuf::from(p));
    }
    let mut why = Vec::new();
    match from_metadata() {
        Ok(p) => return Ok(p),
        Err(e) => why.push(format!("cargo metadata: {e}")),
    }
    match from_cargo_home() {
        Ok(p) => return Ok(p),
        Err(e) => why.push(format!("registry: {e}")),
    }
    Err(why.join("; "))
}

/// Asks cargo where the `ark-vrf` package it resolved for this crate lives.
fn from_metadata() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?;
    let manifest = Path::new(&manifest_dir).join("Cargo.toml");
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad JSON: {e}"))?;
    let packages = meta["packages"].as_array().ok_or("no packages")?;
    for p in packages {
        if p["name"] == "ark-vrf" && p["version"] == ARK_VRF_VERSION {
            let manifest = p["manifest_path"].as_str().ok_or("no manifest_path")?;
            let file = Path::new(manifest)
                .parent()
                .ok_or("manifest has no parent")?
                .join(SRS_REL);
            return if file.is_file() {
                Ok(file)
            } else {
                Err(format!("{} is missing", file.display()))
            };
        }
    }
    Err(format!(
        "ark-vrf {ARK_VRF_VERSION} not among the resolved packages"
    ))
}

/// Scans `$CARGO_HOME/registry/src/*/ark-vrf-<version>/`.
fn from_cargo_home() -> Result<PathBuf, String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let src = home.join("registry").join("src");
    let entries = std::fs::read_dir(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries.flatten() {
        let file = entry
            .path()
            .join(format!("ark-vrf-{ARK_VRF_VERSION}"))
            .join(SRS_REL);
        if file.is_file() {
            return Ok(file);
        }
    }
    Err(format!(
        "no ark-vrf-{ARK_VRF_VERSION} under {}",
        src.display()
    ))
}
