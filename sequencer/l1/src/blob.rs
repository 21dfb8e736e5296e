//! Batch pubdata in an EIP-4844 blob, and the KZG opening the Rollup checks.
//!
//! The circuit binds the pubdata's elements (`verity_circuits::blob`: 31-byte big-endian
//! words) as the coefficients of a polynomial over BLS12-381's scalar field. A blob holds a
//! polynomial of degree below 4096 by its values at the 4096th roots of unity, in
//! bit-reversed order (EIP-4844's evaluation form). [`BatchBlob::new`] puts the pubdata's
//! polynomial in a blob with one FFT, so the blob's KZG commitment commits to the very
//! polynomial the circuit evaluates, and [`BatchBlob::opening`] proves its value at the
//! batch's challenge for the point-evaluation precompile. [`decode`] reads the pubdata back
//! for reconstruction.
//!
//! The FFT is ark-poly's radix-2 domain of size 4096: its generator is the arkworks
//! two-adic root of unity of BLS12-381's scalar field (a power of the generator 7) raised to
//! `2^20`, that is `7^((r-1)/4096)`, EIP-4844's root. Commitments and proofs come from
//! c-kzg (through alloy) with the mainnet trusted setup it ships.

use alloy::eips::eip4844::env_settings::EnvKzgSettings;
use alloy::eips::eip4844::{
    c_kzg, kzg_to_versioned_hash, AsCkzg, Blob, Bytes48, FIELD_ELEMENTS_PER_BLOB,
};
use alloy::eips::eip7594::BlobTransactionSidecarEip7594;
use alloy::primitives::{B256, U256};
use ark_bls12_381::Fr as BlsFr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use verity_circuits::blob::{element_count, elements, ELEMENT_BYTES};

/// Field elements in a blob.
pub const BLOB_ELEMENTS: usize = FIELD_ELEMENTS_PER_BLOB as usize;

/// Most pubdata bytes one blob carries (31 of each element's 32).
pub const BLOB_CAPACITY: usize = BLOB_ELEMENTS * ELEMENT_BYTES;

/// Why pubdata cannot go into, or come out of, a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// More pubdata than a blob holds.
    #[error("{0} bytes of pubdata do not fit a blob ({BLOB_CAPACITY} bytes)")]
    TooLarge(usize),
    /// A blob element is not below BLS12-381's scalar field modulus.
    #[error("blob element {0} is not a canonical field element")]
    NotCanonical(usize),
    /// The blob's polynomial is not `length` bytes of pubdata: a coefficient is wider than 31
    /// bytes, or one past the data (or a padding byte) is not zero.
    #[error("the blob does not hold {length} bytes of pubdata (coefficient {index})")]
    NotPubdata {
        /// The pubdata length looked for.
        length: usize,
        /// The first coefficient that does not fit.
        index: usize,
    },
    /// The batch's data binding is not this blob's (it was not published in it).
    #[error("the batch is not bound to this blob")]
    OtherBinding,
    /// c-kzg refused (it does not for blobs made here).
    #[error("KZG: {0}")]
    Kzg(c_kzg::Error),
}

/// A batch's pubdata as a blob, with its KZG commitment.
#[derive(Clone, Debug)]
pub struct BatchBlob {
    /// The blob (boxed: 128 KiB).
    pub blob: Box<Blob>,
    /// Its KZG commitment.
    pub commitment: Bytes48,
    /// Its versioned hash (what `blobhash` returns and the challenge is derived from).
    pub versioned_hash: B256,
}

/// The blob polynomial's value at a point and its KZG proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobOpening {
    /// The value, below BLS12-381's scalar field modulus.
    pub evaluation: U256,
    /// The KZG proof.
    pub proof: Bytes48,
}

fn domain() -> Radix2EvaluationDomain<BlsFr> {
    Radix2EvaluationDomain::new(BLOB_ELEMENTS).expect("BLS12-381's scalar field has 2^32nd roots")
}

/// The position of blob element `index` in natural order (bit reversal of 12 bits).
fn reversed(index: usize) -> usize {
    index.reverse_bits() >> (usize::BITS - BLOB_ELEMENTS.trailing_zeros())
}

fn settings() -> &'static c_kzg::KzgSettings {
    // `EnvKzgSettings::Default` loads the mainnet setup once and keeps it.
    EnvKzgSettings::Default.get()
}

fn commit(blob: &Blob) -> Result<Bytes48, BlobError> {
    let commitment = settings()
        .blob_to_kzg_commitment(blob.as_ckzg())
        .map_err(BlobError::Kzg)?;
    Ok(Bytes48::from(commitment.to_bytes().into_inner()))
}

impl BatchBlob {
    /// The blob of `pubdata` and its commitment.
    pub fn new(pubdata: &[u8]) -> Result<BatchBlob, BlobError> {
        if pubdata.len() > BLOB_CAPACITY {
            return Err(BlobError::TooLarge(pubdata.len()));
        }
        let mut coefficients: Vec<BlsFr> = elements(pubdata)
            .iter()
            .map(|element| BlsFr::from_be_bytes_mod_order(&element.to_be_bytes::<32>()))
            .collect();
        coefficients.resize(BLOB_ELEMENTS, BlsFr::zero());
        let values = domain().fft(&coefficients);
        let mut blob = Box::new(Blob::ZERO);
        for (index, word) in blob.chunks_exact_mut(32).enumerate() {
            word.copy_from_slice(&values[reversed(index)].into_bigint().to_bytes_be());
        }
        let commitment = commit(&blob)?;
        Ok(BatchBlob {
            versioned_hash: kzg_to_versioned_hash(commitment.as_slice()),
            blob,
            commitment,
        })
    }

    /// The versioned hash of any blob (to check a blob read from elsewhere).
    pub fn versioned_hash_of(blob: &Blob) -> Result<B256, BlobError> {
        Ok(kzg_to_versioned_hash(commit(blob)?.as_slice()))
    }

    /// The blob's value at `z` and its proof.
    pub fn opening(&self, z: u128) -> Result<BlobOpening, BlobError> {
        let point = c_kzg::Bytes32::new(U256::from(z).to_be_bytes());
        let (proof, value) = settings()
            .compute_kzg_proof(self.blob.as_ckzg(), &point)
            .map_err(BlobError::Kzg)?;
        Ok(BlobOpening {
            evaluation: U256::from_be_bytes(*value),
            proof: Bytes48::from(proof.to_bytes().into_inner()),
        })
    }
}

/// The transaction sidecar of `blobs`, in order, with their cell proofs (EIP-7594, which L1
/// requires since Osaka).
pub fn sidecar(blobs: &[&BatchBlob]) -> Result<BlobTransactionSidecarEip7594, BlobError> {
    BlobTransactionSidecarEip7594::try_from_blobs_with_settings(
        blobs.iter().map(|blob| *blob.blob.clone()).collect(),
        settings(),
    )
    .map_err(BlobError::Kzg)
}

/// The `length` bytes of pubdata in `blob`, refusing a blob whose polynomial holds anything
/// else.
pub fn decode(blob: &Blob, length: usize) -> Result<Vec<u8>, BlobError> {
    if length > BLOB_CAPACITY {
        return Err(BlobError::TooLarge(length));
    }
    let mut values = vec![BlsFr::zero(); BLOB_ELEMENTS];
    for (index, word) in blob.chunks_exact(32).enumerate() {
        let value = BlsFr::from_be_bytes_mod_order(word);
        if value.into_bigint().to_bytes_be() != word {
            return Err(BlobError::NotCanonical(index));
        }
        values[reversed(index)] = value;
    }
    let coefficients = domain().ifft(&values);
    let used = element_count(length);
    let mut pubdata = Vec::with_capacity(used * ELEMENT_BYTES);
    for (index, coefficient) in coefficients.iter().enumerate() {
        let bytes = coefficient.into_bigint().to_bytes_be();
        let wide = bytes[0] != 0;
        if index >= used {
            if !coefficient.is_zero() {
                return Err(BlobError::NotPubdata { length, index });
            }
        } else if wide {
            return Err(BlobError::NotPubdata { length, index });
        } else {
            pubdata.extend_from_slice(&bytes[1..]);
        }
    }
    if pubdata[length..].iter().any(|byte| *byte != 0) {
        return Err(BlobError::NotPubdata {
            length,
            index: used - 1,
        });
    }
    pubdata.truncate(length);
    Ok(pubdata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use verity_circuits::blob::{evaluate, BLS_MODULUS};

    fn pubdata(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(167).wrapping_add(seed) | 1)
            .collect()
    }

    #[test]
    fn the_blob_holds_the_polynomial_the_circuit_evaluates() {
        // The native evaluation (what the circuit proves equal to its own) against c-kzg's
        // opening of the blob, at a small point and a 128-bit one, for data of a few
        // elements, a partial last element, and a full blob.
        for (len, seed) in [(1usize, 7u8), (100, 3), (BLOB_CAPACITY, 11)] {
            let data = pubdata(len, seed);
            let blob = BatchBlob::new(&data).unwrap();
            for z in [2u128, u128::MAX - 12345] {
                let opening = blob.opening(z).unwrap();
                assert_eq!(opening.evaluation, evaluate(&data, z), "{len} bytes at {z}");
                assert!(opening.evaluation < BLS_MODULUS);
                assert!(settings()
                    .verify_kzg_proof(
                        blob.commitment.as_ckzg(),
                        &c_kzg::Bytes32::new(U256::from(z).to_be_bytes()),
                        &c_kzg::Bytes32::new(opening.evaluation.to_be_bytes()),
                        opening.proof.as_ckzg(),
                    )
                    .unwrap());
            }
            assert_eq!(decode(&blob.blob, len).unwrap(), data);
        }
    }

    #[test]
    fn a_changed_element_changes_the_opening_and_too_much_data_is_refused() {
        let data = pubdata(200, 5);
        let z = 0x1234_5678_9abc_def0_1122_3344_5566_7788;
        let opening = BatchBlob::new(&data).unwrap().opening(z).unwrap();
        for position in [0, 31, 199] {
            let mut changed = data.clone();
            changed[position] ^= 0x80;
            let other = BatchBlob::new(&changed).unwrap();
            assert_ne!(other.opening(z).unwrap().evaluation, opening.evaluation);
        }
        assert!(matches!(
            BatchBlob::new(&pubdata(BLOB_CAPACITY + 1, 0)),
            Err(BlobError::TooLarge(_))
        ));
    }

    #[test]
    fn decoding_refuses_a_blob_that_holds_more_than_the_pubdata() {
        let data = pubdata(100, 9);
        let blob = BatchBlob::new(&data).unwrap();
        // Read as shorter data: the extra coefficients (and padding bytes) are not zero.
        assert!(matches!(
            decode(&blob.blob, 62),
            Err(BlobError::NotPubdata { index: 2, .. })
        ));
        assert!(matches!(
            decode(&blob.blob, 99),
            Err(BlobError::NotPubdata { index: 3, .. })
        ));
        // A word at or above the modulus is no field element.
        let mut broken = blob.blob.clone();
        broken[..32].fill(0xff);
        assert!(matches!(
            decode(&broken, 100),
            Err(BlobError::NotCanonical(0))
        ));
    }
}
