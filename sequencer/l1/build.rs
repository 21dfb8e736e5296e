//! Rebuilds the crate when the compiled contracts change: `sol!` reads
//! `verifier-contracts/artifacts` while compiling `contracts.rs` without telling Cargo, so an
//! edited contract otherwise kept its old bindings and bytecode in an incremental build.

fn main() {
    println!("cargo:rerun-if-changed=../../verifier-contracts/artifacts");
}
