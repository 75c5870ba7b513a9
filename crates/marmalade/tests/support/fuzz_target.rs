//! A `marmalade fuzz-target --spec tiny` process on a socket in its own temporary folder,
//! killed and cleaned up on drop (the fuzz CLI and the recorded-session tests share it).

#![allow(dead_code)] // each test file uses part of it

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running target.
pub struct TargetProcess {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl TargetProcess {
    /// Starts a target named `name` (the folder's suffix) and waits until its socket exists.
    /// The listener binds and listens in one step, so a connection made after that is queued
    /// until accepted; no connection is made here (it would be a session of its own).
    pub fn start(name: &str) -> TargetProcess {
        let dir = std::env::temp_dir().join(format!("mft-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("t.sock");
        let child = Command::new(env!("CARGO_BIN_EXE_marmalade"))
            .args(["fuzz-target", "--spec", "tiny", "--socket"])
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting marmalade fuzz-target");
        let mut target = TargetProcess { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            target.assert_running();
            if std::fs::symlink_metadata(&target.socket).is_ok_and(|m| m.file_type().is_socket()) {
                return target;
            }
            assert!(
                Instant::now() < deadline,
                "no socket at {} after 60 s",
                target.socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The target's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The target's temporary folder (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("fuzz-target exited with {status}");
        }
    }
}

impl Drop for TargetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
