//! `marmalade fuzz` against `marmalade fuzz-target` (both our binary, two processes): 72
//! generated steps with the default share of mutations, no mismatch, exit 0.

mod support {
    pub mod fuzz_target;
}

use std::process::Command;
use support::fuzz_target::TargetProcess;

#[test]
fn fuzz_our_target_72_steps_without_mismatch() {
    let target = TargetProcess::start("cli");
    let out = target.dir().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_marmalade"))
        .args([
            "fuzz",
            "--steps",
            "72",
            "--seed",
            "1",
            "--ticket-epochs",
            "0.5",
            "--target",
        ])
        .arg(target.socket())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("running marmalade fuzz");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(stdout.contains("72 steps sent"), "{stdout}");
    assert!(stdout.contains("no mismatch"), "{stdout}");
    // Some of the 72 steps were mutations, which the target rejected as we did.
    assert!(!stdout.contains(" 0 invalid"), "{stdout}");
    assert!(!out.join("traces").exists(), "a reproducer was written");
}
