//! Bad messages on the broker get a clear refusal and never a panic: jobs and results are
//! decoded from random and mutated bytes (`PROPTEST_CASES=100000 cargo test -p verity-fleet`
//! for a longer run than the test command's 256 cases).

use ark_serialize::CanonicalSerialize;
use proptest::prelude::*;

use super::*;

fn result_with(proof: String) -> ResultMessage {
    ResultMessage {
        number: 1,
        attempt: 1,
        verifying_key_hash: "00".into(),
        proof,
        proving_seconds: 1.0,
        worker: "w".into(),
    }
}

fn valid_proof() -> Proof<Bn254> {
    use ark_ec::AffineRepr;
    Proof {
        a: ark_bn254::G1Affine::generator(),
        b: ark_bn254::G2Affine::generator(),
        c: ark_bn254::G1Affine::generator(),
    }
}

fn proof_hex(proof: &Proof<Bn254>) -> String {
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    hex::encode(bytes)
}

#[test]
fn a_well_formed_proof_decodes_back() {
    let proof = valid_proof();
    assert_eq!(result_with(proof_hex(&proof)).proof(), Some(proof));
}

proptest! {
    #[test]
    fn random_payloads_are_refused_without_panicking(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = serde_json::from_slice::<JobMessage>(&bytes);
        let _ = serde_json::from_slice::<ResultMessage>(&bytes);
        let _ = serde_json::from_slice::<DeadLetter>(&bytes);
        // arkworks reads some encodings as the point at infinity (all-zero bytes, say): such
        // a proof never verifies, and the node verifies every proof before keeping it.
        if let Some(proof) = result_with(hex::encode(&bytes)).proof() {
            prop_assert_eq!(result_with(proof_hex(&proof)).proof(), Some(proof));
        }
    }

    #[test]
    fn a_mutated_proof_is_refused_or_decodes_to_points(
        at in 0usize..128, mask in 1u8..=255, text in ".{0,16}",
    ) {
        let mut bytes = hex::decode(proof_hex(&valid_proof())).unwrap();
        let at = at % bytes.len();
        bytes[at] ^= mask;
        if let Some(proof) = result_with(hex::encode(&bytes)).proof() {
            // Whatever decodes is a proof of points on their curves (a set infinity flag
            // ignores the coordinates): its canonical encoding decodes to it again.
            prop_assert_eq!(result_with(proof_hex(&proof)).proof(), Some(proof));
        }
        prop_assert_eq!(result_with(text).proof(), None::<Proof<Bn254>>);
    }
}
