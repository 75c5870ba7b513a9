//! The `pvm` tools on hostile input and early-closing readers: no panic, the right exit code.

use std::io::Read;
use std::process::{Command, Stdio};

fn marmalade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marmalade"))
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("marmalade-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `args` with its standard output closed by the reader before (or while) it writes,
/// and returns the exit code and standard error.
fn with_closed_stdout(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let mut child = marmalade()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

/// `jump @0` forever: a trace of one line per unit of gas.
const LOOP: [u8; 5] = [0, 0, 1, 40, 0b1];

#[test]
fn trace_into_a_closed_pipe_ends_quietly() {
    let blob = temp_file("loop.bin", &LOOP);
    // 200 000 lines, far more than a pipe buffer holds.
    let (code, stderr) = with_closed_stdout(&[
        "pvm".as_ref(),
        "run".as_ref(),
        blob.as_os_str(),
        "--trace".as_ref(),
        "--gas".as_ref(),
        "200000".as_ref(),
    ]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    // Out of gas is the program's outcome: exit 1, not an error (2) or a signal (None).
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn disasm_into_a_closed_pipe_exits_zero() {
    // A long program: 100 000 copies of `jump @0`.
    let n = 100_000u32;
    let mut blob = vec![0, 0];
    // E(|c|) for |c| = n: the natural-number encoding (GP (C.6)); 100 000 needs 3 octets.
    blob.extend_from_slice(&[0xc0 | (n >> 16) as u8, n as u8, (n >> 8) as u8]);
    blob.extend(std::iter::repeat_n(40u8, n as usize));
    blob.extend(std::iter::repeat_n(0xffu8, n as usize / 8));
    let path = temp_file("long.bin", &blob);
    let out = marmalade()
        .args(["pvm".as_ref(), "disasm".as_ref(), path.as_os_str()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.len() > 1 << 20,
        "the output outgrows a pipe buffer"
    );
    let (code, stderr) = with_closed_stdout(&["pvm".as_ref(), "disasm".as_ref(), path.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn disasm_of_a_non_program_fails() {
    let path = temp_file("bad.bin", &[0xff, 0xff, 0xff]);
    let out = marmalade()
        .args(["pvm".as_ref(), "disasm".as_ref(), path.as_os_str()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a program blob"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
