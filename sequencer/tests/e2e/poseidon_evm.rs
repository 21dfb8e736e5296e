//! The generated Poseidon contracts compute circomlib's Poseidon on an EVM (anvil), equal to
//! the native hash, and refuse inputs at or above the field modulus; a contract split in two
//! refuses a second part without code.

use alloy::node_bindings::Anvil;
use alloy::primitives::U256;
use alloy::providers::ProviderBuilder;
use verity_circuits::field::fr_to_u256;
use verity_circuits::poseidon::poseidon;
use verity_circuits::Fr;
use verity_l1::contracts::{PoseidonT3, PoseidonT5, PoseidonT5Part1, PoseidonT6, PoseidonT6Part1};

fn inputs<const N: usize>(seed: u64) -> [Fr; N] {
    std::array::from_fn(|i| {
        let x = Fr::from(seed * 1_000_003 + i as u64);
        x * x * x + Fr::from(7u64)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn evm_poseidon_equals_native() {
    let anvil = Anvil::at(verity_tests::anvil_path()).spawn();
    let provider = ProviderBuilder::new()
        .wallet(anvil.wallet().expect("anvil's dev accounts"))
        .connect_http(anvil.endpoint_url());
    let t3 = PoseidonT3::deploy(&provider).await.unwrap();
    let t5_rounds = PoseidonT5Part1::deploy(&provider).await.unwrap();
    let t5 = PoseidonT5::deploy(&provider, *t5_rounds.address())
        .await
        .unwrap();
    let t6_rounds = PoseidonT6Part1::deploy(&provider).await.unwrap();
    let t6 = PoseidonT6::deploy(&provider, *t6_rounds.address())
        .await
        .unwrap();

    for seed in 0..16u64 {
        let a = inputs::<2>(seed);
        assert_eq!(
            t3.hash(a.map(|x| fr_to_u256(&x))).call().await.unwrap(),
            fr_to_u256(&poseidon(&a))
        );
        let b = inputs::<4>(seed);
        assert_eq!(
            t5.hash(b.map(|x| fr_to_u256(&x))).call().await.unwrap(),
            fr_to_u256(&poseidon(&b))
        );
        let c = inputs::<5>(seed);
        assert_eq!(
            t6.hash(c.map(|x| fr_to_u256(&x))).call().await.unwrap(),
            fr_to_u256(&poseidon(&c))
        );
    }
    // The largest inputs: unreduced sums are at their bounds.
    let top = -Fr::from(1u64);
    let edge = [top, Fr::from(0u64)];
    assert_eq!(
        t3.hash(edge.map(|x| fr_to_u256(&x))).call().await.unwrap(),
        fr_to_u256(&poseidon(&edge))
    );
    assert_eq!(
        t5.hash([top; 4].map(|x| fr_to_u256(&x)))
            .call()
            .await
            .unwrap(),
        fr_to_u256(&poseidon(&[top; 4]))
    );
    assert_eq!(
        t6.hash([top; 5].map(|x| fr_to_u256(&x)))
            .call()
            .await
            .unwrap(),
        fr_to_u256(&poseidon(&[top; 5]))
    );
    let no_code = PoseidonT5::deploy(&provider, alloy::primitives::Address::repeat_byte(7))
        .await
        .expect_err("a second part without code is refused");
    assert!(format!("{no_code:?}").contains(&alloy::hex::encode(
        &alloy::primitives::keccak256("NoNextPart()")[..4]
    )));

    let modulus = fr_to_u256(&-Fr::from(1u64)) + U256::from(1u64);
    let refused = t3
        .hash([modulus, U256::ZERO])
        .call()
        .await
        .expect_err("input ≥ r reverts");
    let last = t6
        .hash([U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO, modulus])
        .call()
        .await
        .expect_err("the last input ≥ r reverts too");
    for error in [refused, last] {
        assert!(format!("{error:?}").contains(&alloy::hex::encode(
            &alloy::primitives::keccak256("InputNotInField()")[..4]
        )));
    }

    for (name, gas) in [
        ("T3", t3.hash(a_words::<2>()).estimate_gas().await.unwrap()),
        ("T5", t5.hash(a_words::<4>()).estimate_gas().await.unwrap()),
        ("T6", t6.hash(a_words::<5>()).estimate_gas().await.unwrap()),
    ] {
        println!("Poseidon{name} hash transaction gas (including the 21,000 base): {gas}");
    }
}

fn a_words<const N: usize>() -> [U256; N] {
    inputs::<N>(9).map(|x| fr_to_u256(&x))
}
