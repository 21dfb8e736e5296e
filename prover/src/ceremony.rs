//! Phase 2's ceremony record (the `.zkey`'s section 10) and the import of a key made by a
//! ceremony: everything `snarkjs zkey verify` checks, so that the key directory Verity writes
//! is the key of this circuit, on this powers of tau, with δ the product of every recorded
//! contribution.
//!
//! Section 10 holds the circuit hash (see [`crate::phase2`]), then each contribution: δ1
//! after it, its proof of knowledge (a G1 point `s`, `x·s`, and `x·H2(transcript)` where `x`
//! multiplied δ and `H2` hashes the transcript onto G2), the transcript (BLAKE2b-512 of
//! everything before it) and, for a beacon, its hash and iteration count. A contribution that
//! does not build on the previous δ, or whose proof fails, breaks the chain, so one honest
//! contributor's secret is in δ of every key that verifies.
//!
//! snarkjs's hash onto G2 and its beacon derive points from a ChaCha20 stream by its own
//! recipe (BLAKE2b → ChaCha20 seed, rejection-sampled coordinates read as Montgomery forms,
//! the root's sign from the stream, G2's cofactor cleared by plain multiplication), which no
//! crate reproduces, so it is written here from the format's description.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInt, PrimeField, UniformRand, Zero};
use ark_poly::EvaluationDomain;
use blake2::{Blake2b512, Digest};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::binfile::{get_g1, get_g2, Reader};
use crate::phase2::{hash_g1, hash_g2, key_from_ptau};
use crate::ptau::Ptau;
use crate::r1cs::R1cs;
use crate::zkey::{read_coefficients, Zkey};
use crate::ProverError;

/// One contribution as `keys.json` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionRecord {
    /// The name the contributor gave, if any.
    pub name: Option<String>,
    /// `contribution` or `beacon`.
    pub kind: String,
    /// snarkjs's contribution hash (BLAKE2b-512 of δ1, the proof and the transcript), hex:
    /// what each contributor publishes and checks.
    pub hash: String,
}

/// A contribution as section 10 holds it.
struct Contribution {
    delta_after: G1Affine,
    g1_s: G1Affine,
    g1_sx: G1Affine,
    g2_spx: G2Affine,
    transcript: [u8; 64],
    beacon: bool,
    name: Option<String>,
    beacon_hash: Option<Vec<u8>>,
    beacon_iterations_exp: Option<u8>,
}

fn refused(why: impl Into<String>) -> ProverError {
    ProverError::Ceremony(why.into())
}

/// Section 10: the circuit hash and the contributions.
fn parse(section: &[u8]) -> Result<([u8; 64], Vec<Contribution>), ProverError> {
    let mut reader = Reader::new(section);
    let circuit_hash: [u8; 64] = reader.take(64)?.try_into().expect("64 bytes");
    let count = reader.u32()?;
    let mut contributions = Vec::new();
    for _ in 0..count {
        let delta_after = get_g1(&mut reader, true)?;
        let g1_s = get_g1(&mut reader, true)?;
        let g1_sx = get_g1(&mut reader, true)?;
        let g2_spx = get_g2(&mut reader, true)?;
        let transcript = reader.take(64)?.try_into().expect("64 bytes");
        let beacon = match reader.u32()? {
            0 => false,
            1 => true,
            other => return Err(refused(format!("unknown contribution type {other}"))),
        };
        let length = reader.u32()? as usize;
        let mut params = Reader::new(reader.take(length)?);
        let (mut name, mut beacon_hash, mut beacon_iterations_exp) = (None, None, None);
        while params.remaining() > 0 {
            match params.take(1)?[0] {
                1 => {
                    let length = params.take(1)?[0] as usize;
                    name = Some(String::from_utf8_lossy(params.take(length)?).into_owned());
                }
                2 => beacon_iterations_exp = Some(params.take(1)?[0]),
                3 => {
                    let length = params.take(1)?[0] as usize;
                    beacon_hash = Some(params.take(length)?.to_vec());
                }
                other => return Err(refused(format!("unknown contribution parameter {other}"))),
            }
        }
        contributions.push(Contribution {
            delta_after,
            g1_s,
            g1_sx,
            g2_spx,
            transcript,
            beacon,
            name,
            beacon_hash,
            beacon_iterations_exp,
        });
    }
    if reader.remaining() != 0 {
        return Err(refused("section 10 has bytes after its contributions"));
    }
    Ok((circuit_hash, contributions))
}

/// `e(a1, b2) = e(b1, a2)` with no point at infinity: `b1 = x·a1` and `b2 = x·a2` for one `x`.
fn same_ratio(a1: G1Affine, b1: G1Affine, a2: G2Affine, b2: G2Affine) -> bool {
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    Bn254::multi_pairing([a1, -b1], [b2, a2]).is_zero()
}

/// snarkjs's ChaCha20 stream from a 32-byte seed read as eight big-endian words: ChaCha20
/// with those words as its key words (so the key bytes are each word little-endian), nonce
/// and counter zero.
fn chacha(seed: &[u8]) -> ChaCha20Rng {
    let mut key = [0u8; 32];
    for (word, out) in seed[..32].chunks_exact(4).zip(key.chunks_exact_mut(4)) {
        let value = u32::from_be_bytes(word.try_into().expect("4 bytes"));
        out.copy_from_slice(&value.to_le_bytes());
    }
    ChaCha20Rng::from_seed(key)
}

/// A 64-bit draw: the first word is the high half.
fn next_u64(rng: &mut ChaCha20Rng) -> u64 {
    let high = rng.next_u32() as u64;
    (high << 32) | rng.next_u32() as u64
}

/// A field element as snarkjs draws it: four 64-bit draws, least significant first, masked to
/// 254 bits and redrawn until below the modulus, then read as a Montgomery form.
fn field_from_stream<F: PrimeField<BigInt = BigInt<4>>>(rng: &mut ChaCha20Rng) -> F {
    loop {
        let mut limbs = [0u64; 4];
        for limb in &mut limbs {
            *limb = next_u64(rng);
        }
        limbs[3] &= (1 << 62) - 1;
        let value = BigInt::new(limbs);
        if value < F::MODULUS {
            return montgomery::<F>(value);
        }
    }
}

/// The element whose Montgomery form is `value` (below the modulus): `value·R^(−1)`.
fn montgomery<F: PrimeField<BigInt = BigInt<4>>>(value: BigInt<4>) -> F {
    let r_inverse = F::from(2u64).pow([256]).inverse().expect("R is invertible");
    F::from_bigint(value).expect("below the modulus") * r_inverse
}

/// A point as snarkjs draws it: an x, then a sign bit, until x³ + b is a square; the root
/// whose "negative" test (the upper half, on c1 first for G2) matches the bit.
fn point_from_stream<P>(
    rng: &mut ChaCha20Rng,
    x: impl Fn(&mut ChaCha20Rng) -> P::BaseField,
) -> ark_ec::short_weierstrass::Affine<P>
where
    P: SWCurveConfig,
{
    loop {
        let x = x(rng);
        let greatest = rng.next_u32() & 1 == 1;
        // arkworks' "greatest" root is the larger of y and −y in its order (c1 first, then
        // c0), which is the root snarkjs calls negative.
        if let Some(point) =
            ark_ec::short_weierstrass::Affine::<P>::get_point_from_x_unchecked(x, greatest)
        {
            return point;
        }
    }
}

/// snarkjs's hash of a transcript onto G2.
fn hash_to_g2(transcript: &[u8; 64]) -> G2Affine {
    let mut rng = chacha(transcript);
    let point = point_from_stream::<ark_bn254::g2::Config>(&mut rng, |rng| {
        let c0 = field_from_stream::<Fq>(rng);
        Fq2::new(c0, field_from_stream::<Fq>(rng))
    });
    point
        .mul_bigint(<ark_bn254::g2::Config as ark_ec::CurveConfig>::COFACTOR)
        .into_affine()
}

/// The contribution hash snarkjs prints.
fn contribution_hash(c: &Contribution) -> [u8; 64] {
    let mut hasher = Blake2b512::new();
    absorb(&mut hasher, c);
    hasher.finalize().into()
}

fn absorb(hasher: &mut Blake2b512, c: &Contribution) {
    hash_g1(hasher, &c.delta_after);
    hash_g1(hasher, &c.g1_s);
    hash_g1(hasher, &c.g1_sx);
    hash_g2(hasher, &c.g2_spx);
    hasher.update(c.transcript);
}

/// Checks a beacon's published derivation: δ and `s` from the beacon hash iterated
/// `2^exp` times through SHA-256.
fn check_beacon(c: &Contribution, index: usize) -> Result<(), ProverError> {
    let (Some(hash), Some(exp)) = (&c.beacon_hash, c.beacon_iterations_exp) else {
        return Err(refused(format!(
            "contribution {index}: a beacon without its parameters"
        )));
    };
    if exp > 40 {
        return Err(refused(format!(
            "contribution {index}: a beacon of 2^{exp} iterations is more than this import checks (2^40)"
        )));
    }
    let mut value = hash.clone();
    for _ in 0..1u64 << exp {
        value = Sha256::digest(&value).to_vec();
    }
    let mut rng = chacha(&value);
    let delta = field_from_stream::<Fr>(&mut rng);
    let s = point_from_stream::<ark_bn254::g1::Config>(&mut rng, field_from_stream::<Fq>);
    if c.g1_s != s || c.g1_sx != (s * delta).into_affine() {
        return Err(refused(format!(
            "contribution {index}: the beacon's points do not follow from its hash"
        )));
    }
    Ok(())
}

/// Checks a ceremony's `.zkey` (its bytes) for `r1cs` against `ptau`, and returns the key
/// (coefficients included) and its contributions. Refuses a key for another circuit, one
/// not made from this powers of tau, a broken contribution chain, a δ the chain does not
/// explain, C or H points not divided by that δ, and a key no one contributed to.
pub fn import(
    bytes: &[u8],
    r1cs: &R1cs,
    ptau: &Ptau<'_>,
) -> Result<(Zkey, Vec<ContributionRecord>), ProverError> {
    let mut key = Zkey::from_file_bytes(bytes, true)?;
    let domain = r1cs.domain()?.size();
    if (key.variables, key.public_inputs + 1, key.domain_size)
        != (r1cs.variables, r1cs.inputs, domain)
    {
        return Err(ProverError::KeyShape {
            expected_variables: r1cs.variables,
            expected_domain: domain,
            found_variables: key.variables,
            found_domain: key.domain_size,
        });
    }
    let same = |what: &str, equal: bool| -> Result<(), ProverError> {
        if equal {
            Ok(())
        } else {
            Err(refused(format!(
                "{what} differ from phase 2's start for this circuit and powers of tau"
            )))
        }
    };
    // The chain first: it is cheap, and phase 2's start is not.
    let (circuit_hash, contributions) = parse(&key.contributions)?;
    if contributions.is_empty() {
        return Err(refused(
            "no one has contributed: δ is 1 and anyone can forge proofs",
        ));
    }
    if contributions.iter().all(|c| c.beacon) {
        // A beacon's factor follows from its public hash: δ would be public.
        return Err(refused(
            "only beacons contributed: their factors follow from public hashes, so δ is public \
             and anyone can forge proofs",
        ));
    }
    let mut chain = Blake2b512::new();
    chain.update(circuit_hash);
    let mut delta = G1Affine::generator();
    let mut records = Vec::new();
    for (i, c) in contributions.iter().enumerate() {
        let index = i + 1;
        let mut transcript = chain.clone();
        hash_g1(&mut transcript, &c.g1_s);
        hash_g1(&mut transcript, &c.g1_sx);
        let transcript: [u8; 64] = transcript.finalize().into();
        if transcript != c.transcript {
            return Err(refused(format!(
                "contribution {index}: its transcript is not the chain's"
            )));
        }
        let g2_sp = hash_to_g2(&transcript);
        if !same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx) {
            return Err(refused(format!(
                "contribution {index}: its proof of knowledge fails"
            )));
        }
        if !same_ratio(delta, c.delta_after, g2_sp, c.g2_spx) {
            return Err(refused(format!(
                "contribution {index}: its δ does not build on the previous one"
            )));
        }
        if c.beacon {
            check_beacon(c, index)?;
        }
        absorb(&mut chain, c);
        delta = c.delta_after;
        records.push(ContributionRecord {
            name: c.name.clone(),
            kind: if c.beacon { "beacon" } else { "contribution" }.to_owned(),
            hash: hex::encode(contribution_hash(c)),
        });
    }
    same("δ1", key.delta_g1 == delta)?;
    if delta == G1Affine::generator() {
        return Err(refused(
            "the contributions multiply δ back to 1: anyone can forge proofs",
        ));
    }
    if !same_ratio(
        G1Affine::generator(),
        key.delta_g1,
        G2Affine::generator(),
        key.vk.delta_g2,
    ) {
        return Err(refused("δ2 is not δ1's counterpart in G2"));
    }

    let start = key_from_ptau(r1cs, ptau)?;
    key.coefficients = read_coefficients(bytes)?;
    same(
        "the circuit hash",
        start.contributions[..64] == circuit_hash,
    )?;
    same("the coefficients", key.coefficients == start.coefficients)?;
    same(
        "α, β or γ",
        (
            key.vk.alpha_g1,
            key.beta_g1,
            key.vk.beta_g2,
            key.vk.gamma_g2,
        ) == (
            start.vk.alpha_g1,
            start.beta_g1,
            start.vk.beta_g2,
            start.vk.gamma_g2,
        ),
    )?;
    same(
        "the IC points",
        key.vk.gamma_abc_g1 == start.vk.gamma_abc_g1,
    )?;
    same(
        "the A and B points",
        key.a == start.a && key.b_g1 == start.b_g1 && key.b_g2 == start.b_g2,
    )?;

    // C and H must be phase 2's start divided by δ: one random combination of each.
    let mut rng = rand::rngs::OsRng;
    for (what, start, found) in [("C", &start.c, &key.c), ("H", &start.h, &key.h)] {
        let weights: Vec<Fr> = (0..start.len()).map(|_| Fr::rand(&mut rng)).collect();
        let before = G1Projective::msm(start, &weights)
            .expect("lengths match")
            .into_affine();
        let after = G1Projective::msm(found, &weights)
            .expect("lengths match")
            .into_affine();
        if !same_ratio(after, before, G2Affine::generator(), key.vk.delta_g2) {
            return Err(refused(format!(
                "the {what} points are not phase 2's start divided by δ"
            )));
        }
    }
    Ok((key, records))
}

#[cfg(test)]
mod tests {
    //! snarkjs's derivations against values ffjavascript 0.3 (snarkjs 0.7.6's) prints for
    //! the same seeds: `new ChaCha(seed).nextU64()`, `Fr.fromRng`, `G1.fromRng` and
    //! `hashToG2(Blake2b(64).digest())`.

    use super::*;
    use std::str::FromStr;

    fn seed(words: [u32; 8]) -> Vec<u8> {
        words.iter().flat_map(|word| word.to_be_bytes()).collect()
    }

    #[test]
    fn the_stream_is_snarkjs_chacha() {
        assert_eq!(next_u64(&mut chacha(&seed([0; 8]))), 0xade0_b876_903d_f1a0);
    }

    #[test]
    fn a_field_element_from_the_stream_is_snarkjs_from_rng() {
        let expected = Fr::from_str(
            "2855533207797893389160939676118313310715587629841770121526233971100838768296",
        )
        .unwrap();
        assert_eq!(
            field_from_stream::<Fr>(&mut chacha(&seed([0; 8]))),
            expected
        );
    }

    #[test]
    fn a_g1_point_from_the_stream_is_snarkjs_from_rng() {
        let point = point_from_stream::<ark_bn254::g1::Config>(
            &mut chacha(&seed([1, 2, 3, 4, 5, 6, 7, 8])),
            field_from_stream::<Fq>,
        );
        let fq = |s: &str| Fq::from_str(s).unwrap();
        assert_eq!(
            point,
            G1Affine::new(
                fq("4749184222566388399485029475823019359659178686906803479813824090249282098840"),
                fq("3287022149460020731165220726290319722908863993370558402609400551600353383247"),
            )
        );
    }

    #[test]
    fn the_hash_onto_g2_is_snarkjs_hash_to_g2() {
        let transcript: [u8; 64] = Blake2b512::digest([]).into();
        let fq = |s: &str| Fq::from_str(s).unwrap();
        let expected = G2Affine::new(
            Fq2::new(
                fq("19468973466918215679587852875525643710485557314013750006669550250668290823814"),
                fq("5573066579746301339401478151040738629284444701761388371503048415880456771047"),
            ),
            Fq2::new(
                fq("12175378000775798858301036339650909451030751104678530594423404221084433814679"),
                fq("19530554080243930112463489784323422270471740926830736834486775568922064980664"),
            ),
        );
        assert_eq!(hash_to_g2(&transcript), expected);
    }
}
