//! Contract bindings and calldata conversions.

use alloy::primitives::U256;
use ark_bn254::Bn254;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Groth16Verifier,
    "../verifier-contracts/artifacts/Groth16Verifier.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    PoseidonT3,
    "../verifier-contracts/artifacts/PoseidonT3.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    PoseidonT5,
    "../verifier-contracts/artifacts/PoseidonT5.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    PoseidonT6,
    "../verifier-contracts/artifacts/PoseidonT6.json"
);

/// A field element as a 256-bit word.
pub fn word<F: PrimeField>(element: &F) -> U256 {
    U256::from_be_slice(&element.into_bigint().to_bytes_be())
}

/// The `Groth16Verifier` constructor argument for `vk`.
pub fn verifier_key_words(vk: &VerifyingKey<Bn254>) -> [U256; 18] {
    verity_prover::solidity::verifying_key_words(vk).map(|bytes| U256::from_be_bytes(bytes))
}

/// A proof as `verifyProof` takes it: A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y.
pub fn proof_words(proof: &Proof<Bn254>) -> [U256; 8] {
    [
        word(&proof.a.x),
        word(&proof.a.y),
        word(&proof.b.x.c1),
        word(&proof.b.x.c0),
        word(&proof.b.y.c1),
        word(&proof.b.y.c0),
        word(&proof.c.x),
        word(&proof.c.y),
    ]
}
