//! `marmalade fuzz` against `marmalade fuzz-target` (both our binary, two processes): 72
//! generated steps with the default share of mutations, no mismatch, exit 0.

use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `marmalade fuzz-target` process on a socket in its own temporary folder; killed and
/// cleaned up on drop.
struct TargetProcess {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl TargetProcess {
    fn start() -> TargetProcess {
        let dir = std::env::temp_dir().join(format!("mfz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("t.sock");
        let child = Command::new(env!("CARGO_BIN_EXE_marmalade"))
            .args(["fuzz-target", "--spec", "tiny", "--socket"])
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting marmalade fuzz-target");
        let mut t = TargetProcess { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = t.child.try_wait().unwrap() {
                panic!("fuzz-target exited early with {status}");
            }
            if std::fs::symlink_metadata(&t.socket).is_ok_and(|m| m.file_type().is_socket()) {
                break;
            }
            assert!(Instant::now() < deadline, "no socket after 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        t
    }
}

impl Drop for TargetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn fuzz_our_target_72_steps_without_mismatch() {
    let target = TargetProcess::start();
    let out = target.dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_marmalade"))
        .args(["fuzz", "--steps", "72", "--seed", "1", "--target"])
        .arg(&target.socket)
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
