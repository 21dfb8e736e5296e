//! snarkjs's JSON formats (`verification_key.json`, `proof.json`, `public.json`), so that
//! `snarkjs groth16 verify` and any tool built on it can check Verity's proofs. Numbers are
//! decimal strings; a G2 coordinate is `[c0, c1]` for `c0 + c1·u`.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};

use crate::ProverError;

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

/// A `proof.json` made by snarkjs or another prover, its points checked on the curve (and,
/// for B, in the subgroup).
pub fn parse_proof(document: &Value) -> Result<Proof<Bn254>, ProverError> {
    let fq = |value: &Value| -> Result<Fq, ProverError> {
        value
            .as_str()
            .and_then(|text| text.parse::<num_bigint::BigUint>().ok())
            .filter(|n| n.bits() <= 254)
            .map(Fq::from)
            .filter(|x| decimal(x) == value.as_str().unwrap_or_default())
            .ok_or_else(|| ProverError::Format(format!("{value} is not a coordinate")))
    };
    let g1 = |value: &Value| -> Result<G1Affine, ProverError> {
        let point = G1Affine::new_unchecked(fq(&value[0])?, fq(&value[1])?);
        if value[2] != "1" || !point.is_on_curve() {
            return Err(ProverError::Format(format!("{value} is not a G1 point")));
        }
        Ok(point)
    };
    let fq2 = |value: &Value| Ok::<_, ProverError>(Fq2::new(fq(&value[0])?, fq(&value[1])?));
    let g2 = |value: &Value| -> Result<G2Affine, ProverError> {
        let point = G2Affine::new_unchecked(fq2(&value[0])?, fq2(&value[1])?);
        if value[2] != json!(["1", "0"])
            || !point.is_on_curve()
            || !point.is_in_correct_subgroup_assuming_on_curve()
        {
            return Err(ProverError::Format(format!("{value} is not a G2 point")));
        }
        Ok(point)
    };
    if document["protocol"] != "groth16" || document["curve"] != "bn128" {
        return Err(ProverError::Format(
            "not a Groth16 proof over bn128".to_owned(),
        ));
    }
    Ok(Proof {
        a: g1(&document["pi_a"])?,
        b: g2(&document["pi_b"])?,
        c: g1(&document["pi_c"])?,
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
    fn a_proof_round_trips_and_a_point_off_the_curve_is_refused() {
        use ark_ec::{AffineRepr, CurveGroup};

        let proof = Proof::<Bn254> {
            a: (G1Affine::generator() * Fr::from(3u64)).into_affine(),
            b: (G2Affine::generator() * Fr::from(5u64)).into_affine(),
            c: (G1Affine::generator() * Fr::from(7u64)).into_affine(),
        };
        let document = super::proof(&proof);
        assert_eq!(parse_proof(&document).unwrap(), proof);
        let mut moved = document.clone();
        moved["pi_a"][1] = json!(decimal::<Fq>(&(proof.a.y + Fq::from(1u64))));
        assert!(parse_proof(&moved).is_err());
        let mut large = document;
        large["pi_c"][0] = json!(format!("{}0", decimal::<Fq>(&proof.c.x)));
        assert!(parse_proof(&large).is_err());
    }

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
