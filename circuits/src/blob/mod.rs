//! The batch's data commitment: its pubdata as the coefficients of a polynomial over the
//! scalar field of BLS12-381 (the field of EIP-4844 blobs), bound to the proof by the
//! polynomial's value at a challenge point instead of a hash the circuit recomputes.
//!
//! - **Elements.** The pubdata is cut into elements of [`ELEMENT_BYTES`] bytes, each read
//!   big-endian (so below `2^248`, under both fields' moduli); the last is zero-padded at
//!   its end. Element `j` is the coefficient of `X^j`.
//! - **Data hash** (a public input): `h_0 = 0`, `h_{k+1} = Poseidon(h_k, e_{4k}, …, e_{4k+3})`
//!   with missing elements 0, over the pubdata's elements followed by one element a slot,
//!   its payee ([`Payout::payee`], 0 for a slot that pays nothing). It binds what the circuit
//!   holds; the circuit's size fixes the number of elements. The payees are there because a
//!   withdrawal's recipient is signed but not published: without them the circuit's payouts
//!   would not be fixed before the challenge is drawn.
//! - **Challenge** (a public input): the low [`CHALLENGE_BITS`] bits of
//!   `keccak256(data_commitment ‖ h ‖ payouts_digest)`, computed by the Rollup contract,
//!   where `data_commitment` is `keccak256(pubdata)` for pubdata in calldata, and the blob's
//!   versioned hash (a hash of its KZG commitment) for pubdata in an EIP-4844 blob, and
//!   `payouts_digest` is the keccak of the batch's L1 payouts as its calldata holds them
//!   ([`Payout::digest`]).
//! - **Payouts** (no input of their own): the payouts' polynomial at the challenge
//!   ([`Payout::term`], over BN254's scalar field) is added to `h` in the statement's data
//!   input, so the contract pays exactly the payouts the circuit made for a `mulmod` and an
//!   `addmod` an element, where a Poseidon hash a payout cost about 22,000 gas.
//! - **Evaluation** (two public inputs, its low and high 128 bits): `y = Σ e_j·z^j mod
//!   r_bls`. For calldata the contract evaluates the published data at `z` itself; for a
//!   blob (which holds the same polynomial, `verity-l1`'s `blob`) the point-evaluation
//!   precompile checks `y` against the blob's commitment. Either way the contract passes
//!   `z` and `y` to the verifier.
//!
//! Why this is sound: the challenge is fixed only once both the circuit's data (through
//! `h`) and the published data (through `data_commitment`) are, so if they differ, the two
//! polynomials (of degree below the number of elements) agree at `z` with probability at
//! most `degree / 2^128`. The same holds for the payouts: the contract's list fixes `z`
//! through its digest, and the circuit's list is fixed through `h`: which slots pay, and a
//! withdrawal's amount, are in the pubdata; the recipients and tokens are the payees; a
//! forced exit's amount follows from the state and the queue. (Before the payees were
//! hashed, a prover who signed two withdrawals could pick their recipients after seeing `z`
//! and solve for any list the contract would pay.) Adding the
//! payouts' term to `h` keeps both bound: the contract's data input `h' + Q'(z)` equals the
//! circuit's `h + Q(z)` for another `h'` or `Q'` only if `h'` solves an equation in which
//! `z` itself depends on `h'` through keccak. Each try (a data hash and a keccak) succeeds
//! with probability at most about `(2·payouts + 2) / 2^128` (a prover can place that many
//! roots of the difference below `2^128` with its own withdrawals), so about `2^121` tries
//! at 48 payouts.
//!
//! Why it is cheap: the circuit hashes field elements with Poseidon
//! (79 constraints an element) and evaluates with one reduction an element modulo
//! `r_bls` (463, [`constraints`]), where SHA-256 over the same bytes cost about 800
//! a byte; the contract's side is a keccak and a `mulmod` an element.

#[cfg(feature = "r1cs")]
pub mod constraints;

use alloy_primitives::{keccak256, U256};
use ark_ff::PrimeField;

use crate::field::fr_to_be_bytes;
use crate::ops::Payout;
use crate::poseidon::poseidon;
use crate::Fr;

/// Bytes of pubdata in one element.
pub const ELEMENT_BYTES: usize = 31;

/// Elements absorbed by one Poseidon call of the data hash (with the running hash: five
/// inputs, the widest circomlib hash).
pub const ELEMENTS_PER_HASH: usize = 4;

/// Bits of the challenge point.
pub const CHALLENGE_BITS: usize = 128;

/// The scalar field modulus of BLS12-381 (EIP-4844's `BLS_MODULUS`).
pub const BLS_MODULUS: U256 = U256::from_limbs([
    0xffff_ffff_0000_0001,
    0x53bd_a402_fffe_5bfe,
    0x3339_d808_09a1_d805,
    0x73ed_a753_299d_7d48,
]);

/// Elements of `bytes` pubdata bytes.
pub fn element_count(bytes: usize) -> usize {
    bytes.div_ceil(ELEMENT_BYTES)
}

/// The pubdata's elements, in coefficient order.
pub fn elements(pubdata: &[u8]) -> Vec<U256> {
    pubdata
        .chunks(ELEMENT_BYTES)
        .map(|chunk| {
            let mut word = [0u8; 32];
            word[1..1 + chunk.len()].copy_from_slice(chunk);
            U256::from_be_bytes(word)
        })
        .collect()
}

/// The data hash of the pubdata and of the slots' payees (0 for a slot that pays nothing).
pub fn data_hash(pubdata: &[u8], payees: &[Fr]) -> Fr {
    let elements: Vec<Fr> = elements(pubdata)
        .iter()
        .map(|element| Fr::from_be_bytes_mod_order(&element.to_be_bytes::<32>()))
        .chain(payees.iter().copied())
        .collect();
    elements
        .chunks(ELEMENTS_PER_HASH)
        .fold(Fr::from(0u64), |hash, group| {
            let mut inputs = vec![hash];
            inputs.extend_from_slice(group);
            inputs.resize(ELEMENTS_PER_HASH + 1, Fr::from(0u64));
            poseidon(&inputs)
        })
}

/// The challenge point for data published under `data_commitment` with data hash `hash`,
/// and payouts of digest `payouts_digest`.
pub fn challenge(data_commitment: &[u8; 32], hash: &Fr, payouts_digest: &[u8; 32]) -> u128 {
    let mut preimage = [0u8; 96];
    preimage[..32].copy_from_slice(data_commitment);
    preimage[32..64].copy_from_slice(&fr_to_be_bytes(hash));
    preimage[64..].copy_from_slice(payouts_digest);
    let digest = keccak256(preimage);
    u128::from_be_bytes(digest[16..].try_into().expect("16 bytes"))
}

/// `Σ e_j·z^j mod r_bls` over the pubdata's elements, by Horner's rule as the contract does.
pub fn evaluate(pubdata: &[u8], z: u128) -> U256 {
    let z = U256::from(z);
    elements(pubdata)
        .iter()
        .rev()
        .fold(U256::ZERO, |acc, element| {
            acc.mul_mod(z, BLS_MODULUS).add_mod(*element, BLS_MODULUS)
        })
}

/// The data commitment of pubdata carried in calldata.
pub fn calldata_commitment(pubdata: &[u8]) -> [u8; 32] {
    keccak256(pubdata).0
}

/// What the proof exposes about a batch's data and payouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataBinding {
    /// The data hash.
    #[serde(with = "crate::field::serde_fr")]
    pub hash: Fr,
    /// The challenge point.
    #[serde(with = "crate::field::serde_u128")]
    pub challenge: u128,
    /// The polynomial's value at the challenge, below `r_bls`.
    pub evaluation: U256,
    /// The payouts' term at the challenge ([`Payout::term`]), added to the data hash in the
    /// statement.
    #[serde(with = "crate::field::serde_fr")]
    pub payouts: Fr,
}

impl DataBinding {
    /// The binding of pubdata published under `data_commitment`, of the slots' `payees`, and
    /// of `payouts`, the list the contract pays.
    pub fn new(
        pubdata: &[u8],
        data_commitment: &[u8; 32],
        payees: &[Fr],
        payouts: &[Payout],
    ) -> DataBinding {
        let hash = data_hash(pubdata, payees);
        let challenge = challenge(data_commitment, &hash, &Payout::digest(payouts));
        DataBinding {
            hash,
            challenge,
            evaluation: evaluate(pubdata, challenge),
            payouts: Payout::term(payouts, Fr::from(challenge)),
        }
    }

    /// The binding of pubdata carried in calldata, of the slots' `payees`, and of `payouts`.
    pub fn of_calldata(pubdata: &[u8], payees: &[Fr], payouts: &[Payout]) -> DataBinding {
        DataBinding::new(pubdata, &calldata_commitment(pubdata), payees, payouts)
    }

    /// The statement's data input: the data hash plus the payouts' term.
    pub fn input(&self) -> Fr {
        self.hash + self.payouts
    }

    /// The evaluation's low and high 128 bits as field elements.
    pub fn evaluation_halves(&self) -> [Fr; 2] {
        let limbs = self.evaluation.as_limbs();
        [
            Fr::from(u128::from(limbs[0]) | (u128::from(limbs[1]) << 64)),
            Fr::from(u128::from(limbs[2]) | (u128::from(limbs[3]) << 64)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;

    #[test]
    fn modulus_is_eip4844s() {
        let decimal =
            "52435875175126190479447740508185965837690552500527637822603658699938581184513";
        assert_eq!(BLS_MODULUS.to_string(), decimal);
    }

    #[test]
    fn elements_are_31_byte_big_endian_words_padded_at_the_end() {
        let pubdata: Vec<u8> = (1..=33).collect();
        let elements = elements(&pubdata);
        assert_eq!(elements.len(), 2);
        assert_eq!(element_count(33), 2);
        let mut first = [0u8; 32];
        first[1..].copy_from_slice(&pubdata[..31]);
        assert_eq!(elements[0], U256::from_be_bytes(first));
        assert_eq!(elements[1], U256::from(0x2021u64) << 232);
    }

    #[test]
    fn evaluation_is_the_polynomial_at_the_challenge() {
        let pubdata: Vec<u8> = (0..100u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(255))
            .collect();
        let binding = DataBinding::of_calldata(&pubdata, &[], &[]);
        let modulus = BigUint::from_bytes_be(&BLS_MODULUS.to_be_bytes::<32>());
        let z = BigUint::from(binding.challenge);
        let expected =
            elements(&pubdata)
                .iter()
                .enumerate()
                .fold(BigUint::from(0u8), |sum, (j, element)| {
                    let coefficient = BigUint::from_bytes_be(&element.to_be_bytes::<32>());
                    (sum + coefficient * z.modpow(&BigUint::from(j), &modulus)) % &modulus
                });
        assert_eq!(
            BigUint::from_bytes_be(&binding.evaluation.to_be_bytes::<32>()),
            expected
        );
        let [low, high] = binding.evaluation_halves();
        assert_eq!(
            crate::field::fr_to_u256(&low) + (crate::field::fr_to_u256(&high) << 128),
            binding.evaluation
        );

        let mut changed = pubdata.clone();
        changed[99] ^= 1;
        let other = DataBinding::of_calldata(&changed, &[], &[]);
        assert_ne!(other.hash, binding.hash);
        assert_ne!(other.challenge, binding.challenge);
        assert_ne!(evaluate(&changed, binding.challenge), binding.evaluation);
    }

    #[test]
    fn the_payouts_move_the_challenge_and_their_term() {
        let pubdata = [7u8; 40];
        let paid = Payout {
            recipient: alloy_primitives::Address::repeat_byte(0x42),
            token: 3,
            amount: 1_000,
        };
        let slots = [Fr::from(0u64), paid.payee()];
        let none = DataBinding::of_calldata(&pubdata, &slots, &[]);
        let one = DataBinding::of_calldata(&pubdata, &slots, &[paid]);
        let more =
            DataBinding::of_calldata(&pubdata, &slots, &[paid, Payout { amount: 1, ..paid }]);
        assert_eq!(none.payouts, Fr::from(1u64));
        assert_eq!(
            (one.hash, one.evaluation),
            (none.hash, evaluate(&pubdata, one.challenge))
        );
        assert_ne!(one.challenge, none.challenge);
        assert_ne!(more.challenge, one.challenge);
        let z = Fr::from(one.challenge);
        let [payee, amount] = paid.elements();
        assert_eq!(payee, paid.payee());
        assert_eq!(one.payouts, (z + payee) * z + amount);
        assert_eq!(one.input(), one.hash + one.payouts);
        // A zero payout still counts: the list's length is bound.
        let zero = Payout { amount: 0, ..paid };
        assert_ne!(Payout::term(&[zero, paid], z), Payout::term(&[paid], z));
    }

    #[test]
    fn the_payees_move_the_data_hash_but_not_the_evaluation() {
        // A withdrawal's recipient is not in the pubdata, so the data hash must hold it for
        // the circuit's payouts to be fixed before the challenge is drawn.
        let pubdata = [7u8; 40];
        let paid = Payout {
            recipient: alloy_primitives::Address::repeat_byte(0x42),
            token: 3,
            amount: 1_000,
        };
        let elsewhere = Payout {
            recipient: alloy_primitives::Address::repeat_byte(0x43),
            ..paid
        };
        let hash = |payees: &[Fr]| data_hash(&pubdata, payees);
        let zero = Fr::from(0u64);
        assert_ne!(hash(&[paid.payee()]), hash(&[elsewhere.payee()]));
        assert_ne!(hash(&[paid.payee(), zero]), hash(&[zero, paid.payee()]));
        let binding = DataBinding::of_calldata(&pubdata, &[paid.payee()], &[paid]);
        assert_eq!(binding.evaluation, evaluate(&pubdata, binding.challenge));
    }
}
