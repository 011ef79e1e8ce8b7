//! Runs the built `leadscore-train` in a directory and returns its standard output, failing
//! the test with both outputs when it does not succeed. Shared by the CLI tests.

use std::path::Path;
use std::process::Command;

pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run leadscore-train");
    assert!(
        out.status.success(),
        "leadscore-train {args:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
