//! Native throughput that bounds what the sequencer can ingest: Poseidon hashes, EdDSA
//! verifications, and signed transfers applied to a depth-32 tree of 100k accounts.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use light_poseidon::{Poseidon, PoseidonHasher};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::merkle::DEFAULT_DEPTH;
use verity_circuits::poseidon::poseidon;
use verity_circuits::Fr;
use verity_tests::workload::Populated;

fn poseidon_hashes(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon");
    group.throughput(Throughput::Elements(1));
    for arity in [2usize, 4, 5, 8] {
        let inputs: Vec<Fr> = (0..arity as u64).map(|i| Fr::from(i + 7)).collect();
        group.bench_function(format!("{arity}_inputs"), |b| b.iter(|| poseidon(&inputs)));
        // The baseline: light-poseidon's plain permutation of the same parameters.
        let mut plain = Poseidon::<Fr>::new_circom(arity).expect("a circomlib width");
        group.bench_function(format!("{arity}_inputs_light_poseidon"), |b| {
            b.iter(|| plain.hash(&inputs).expect("the width's arity"))
        });
    }
    group.finish();
}

fn eddsa(c: &mut Criterion) {
    let key = PrivateKey::from_bytes([3u8; 32]);
    let public = key.public_key();
    let message = Fr::from(123_456u64);
    let signature = key.sign(message);
    let mut group = c.benchmark_group("eddsa_poseidon");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| {
        b.iter(|| assert!(public.verify(message, &signature)))
    });
    group.bench_function("sign", |b| b.iter(|| key.sign(message)));
    group.finish();
}

fn transfers(c: &mut Criterion) {
    const ACCOUNTS: u32 = 100_000;
    let started = Instant::now();
    let populated = Populated::new(DEFAULT_DEPTH, ACCOUNTS, 1000);
    eprintln!(
        "built a depth-32 state of {ACCOUNTS} accounts in {:.1?}",
        started.elapsed()
    );

    let mut group = c.benchmark_group("apply_transfer_depth32_100k_accounts");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    let mut offset = 0;
    group.bench_function("signed", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            let mut remaining = iterations as u32;
            while remaining > 0 {
                let count = remaining.min(2000);
                let txs = populated.transfers(count, offset);
                offset += 1;
                let mut state = populated.state.clone();
                let started = Instant::now();
                for tx in &txs {
                    state.apply_l2(tx).expect("valid transfer");
                }
                total += started.elapsed();
                remaining -= count;
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, poseidon_hashes, eddsa, transfers);
criterion_main!(benches);
