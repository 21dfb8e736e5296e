//! The test-support library of Verity's end-to-end tests and benchmarks: running the pinned
//! JavaScript tools in `tests/js` (installed by `npm ci` from its lock file: scripts that read
//! and print JSON, and the snarkjs command line), the pinned anvil, a local nats-server
//! ([`nats`]), synthetic workloads ([`workload`]), and the fixtures every end-to-end test
//! shares: anvil with Verity deployed, a node, deposits ([`fixture`]). Never a dependency of
//! a product crate.

pub mod fixture;
pub mod nats;
pub mod ptau;
pub mod workload;

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
    let dir = installed_js_dir();
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

fn installed_js_dir() -> PathBuf {
    let dir = js_dir();
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: run scripts/test.sh (or npm ci --prefix tests/js)",
        dir.display()
    );
    dir
}

/// Runs the pinned snarkjs command line with `args`; returns whether it succeeded, and its
/// output.
pub fn snarkjs(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let cli = installed_js_dir().join("node_modules/snarkjs/build/cli.cjs");
    let output = Command::new("node")
        .arg(cli)
        .args(args)
        .output()
        .expect("starting node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The anvil binary that `verifier-contracts/package.json` pins (npm `@foundry-rs/anvil`).
///
/// # Panics
/// When it is not installed: run scripts/setup.sh.
pub fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../verifier-contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup.sh (npm ci in verifier-contracts)",
        path.display()
    );
    path
}
