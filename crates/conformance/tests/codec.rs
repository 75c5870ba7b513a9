//! Runs every codec vector (`jam-test-vectors/codec/{tiny,full}`): all must pass, and all 30
//! must be there (missing vectors fail the test rather than skip it).

use marmalade_conformance::{collect, run_file, vectors_root, Kind};

#[test]
fn all_codec_vectors_pass() {
    let dir = vectors_root().join("jam-test-vectors/codec");
    assert!(
        dir.is_dir(),
        "codec vectors not found at {} (set JAM_VECTORS or unpack them into .jam-vectors)",
        dir.display()
    );
    let files = collect(std::slice::from_ref(&dir)).expect("walking the codec vectors");
    assert!(files.iter().all(|(_, k)| matches!(k, Kind::Codec(_))));
    let outcomes: Vec<_> = files.iter().flat_map(|(p, k)| run_file(p, *k)).collect();
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} codec vectors failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert_eq!(
        files.len(),
        30,
        "expected 15 tiny + 15 full codec vectors in {}",
        dir.display()
    );
    let tiny = files
        .iter()
        .filter(|(_, k)| *k == Kind::Codec(marmalade_conformance::Config::Tiny))
        .count();
    assert_eq!(tiny, 15, "expected 15 tiny codec vectors");
}

#[test]
fn unknown_codec_file_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("marmalade-codec-{}", std::process::id()));
    let tiny = dir.join("codec/tiny");
    std::fs::create_dir_all(&tiny).unwrap();
    let bin = tiny.join("mystery_thing.bin");
    std::fs::write(&bin, [0u8]).unwrap();
    std::fs::write(tiny.join("mystery_thing.json"), "{}").unwrap();
    let out = marmalade_conformance::codec::run(&bin, marmalade_conformance::Config::Tiny);
    std::fs::remove_dir_all(&dir).ok();
    let err = out.error.expect("an unknown type must fail");
    assert!(err.contains("unknown codec vector type"), "{err}");
}
