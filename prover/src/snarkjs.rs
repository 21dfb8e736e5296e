//! snarkjs's JSON formats (`verification_key.json`, `proof.json`, `public.json`), so that
//! `snarkjs groth16 verify` and any tool built on it can check Verity's proofs. Numbers are
//! decimal strings; a G2 coordinate is `[c0, c1]` for `c0 + c1·u`.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};

fn decimal<F: PrimeField>(value: &F) -> String {
    num_bigint::BigUint::from_bytes_be(&value.into_bigint().to_bytes_be()).to_string()
}

fn g1(point: &G1Affine) -> Value {
    json!([decimal::<Fq>(&point.x), decimal::<Fq>(&point.y), "1"])
}

fn fq2(value: &Fq2) -> Value {
    json!([decimal::<Fq>(&value.c0), decimal::<Fq>(&value.c1)])
}

fn g2(point: &G2Affine) -> Value {
    json!([fq2(&point.x), fq2(&point.y), ["1", "0"]])
}

/// `verification_key.json`.
pub fn verifying_key(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// `proof.json`.
pub fn proof(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json`.
pub fn public_signals(inputs: &[Fr]) -> Value {
    json!(inputs.iter().map(decimal::<Fr>).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_the_field_elements() {
        assert_eq!(decimal(&Fr::from(0u64)), "0");
        assert_eq!(decimal(&Fr::from(1234567890123u64)), "1234567890123");
        assert_eq!(
            decimal(&-Fr::from(1u64)),
            "21888242871839275222246405745257275088548364400416034343698204186575808495616"
        );
    }
}
