//! Helpers for Verity's end-to-end tests: running the pinned JavaScript tools in
//! `tests/js` (installed by `npm ci` from its lock file) and reading their JSON.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `tests/js`, where the pinned npm packages and their driver scripts live.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

/// Runs `node tests/js/<script>` with `input` as JSON on stdin and parses its stdout.
///
/// # Panics
/// When node or the npm packages are missing, or the script fails: these tests must not
/// pass without running.
pub fn run_node(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let dir = js_dir();
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: run scripts/test.sh (or npm ci --prefix tests/js)",
        dir.display()
    );
    let mut child = Command::new("node")
        .arg(dir.join(script))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting node");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.to_string().as_bytes())
        .expect("writing to node");
    let output = child.wait_with_output().expect("waiting for node");
    assert!(
        output.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("node printed JSON")
}
