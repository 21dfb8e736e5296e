//! The batch commitment: the single public input of the batch proof, which the Rollup
//! contract recomputes from calldata.
//!
//! `SHA-256(batch_number (8 bytes) ‖ domain ‖ old_root ‖ new_root ‖ priority_before ‖
//! priority_after ‖ payout_hash ‖ pubdata)` with every field element as 32 big-endian bytes,
//! then the top three bits cleared so the value is below 2^253 < r (a field element with no
//! reduction, the zkSync Lite way).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::field::{fr_from_be_bytes, fr_to_be_bytes};
use crate::Fr;

/// Everything the commitment binds besides the pubdata bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// The batch's number (the first batch is 1).
    pub number: u64,
    /// `Poseidon(chain_id, rollup_address)`.
    #[serde(with = "crate::field::serde_fr")]
    pub domain: Fr,
    /// State root before the batch.
    #[serde(with = "crate::field::serde_fr")]
    pub old_root: Fr,
    /// State root after the batch.
    #[serde(with = "crate::field::serde_fr")]
    pub new_root: Fr,
    /// Priority-queue rolling hash before the batch's priority operations.
    #[serde(with = "crate::field::serde_fr")]
    pub priority_before: Fr,
    /// Priority-queue rolling hash after them.
    #[serde(with = "crate::field::serde_fr")]
    pub priority_after: Fr,
    /// Rolling hash of the batch's L1 payouts, from 0.
    #[serde(with = "crate::field::serde_fr")]
    pub payout_hash: Fr,
}

impl BatchHeader {
    /// The bytes hashed: the header fields then `pubdata`.
    pub fn preimage(&self, pubdata: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + 6 * 32 + pubdata.len());
        bytes.extend_from_slice(&self.number.to_be_bytes());
        for element in [
            self.domain,
            self.old_root,
            self.new_root,
            self.priority_before,
            self.priority_after,
            self.payout_hash,
        ] {
            bytes.extend_from_slice(&fr_to_be_bytes(&element));
        }
        bytes.extend_from_slice(pubdata);
        bytes
    }

    /// The commitment over this header and `pubdata`.
    pub fn commitment(&self, pubdata: &[u8]) -> Fr {
        let mut digest: [u8; 32] = Sha256::digest(self.preimage(pubdata)).into();
        digest[0] &= 0x1f;
        fr_from_be_bytes(&digest).expect("below 2^253")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_masked_sha256_and_binds_every_field() {
        let header = BatchHeader {
            number: 1,
            domain: Fr::from(2u64),
            old_root: Fr::from(3u64),
            new_root: Fr::from(4u64),
            priority_before: Fr::from(5u64),
            priority_after: Fr::from(6u64),
            payout_hash: Fr::from(7u64),
        };
        let pubdata = [9u8, 8, 7];
        let mut digest: [u8; 32] = Sha256::digest(header.preimage(&pubdata)).into();
        digest[0] &= 0x1f;
        assert_eq!(fr_to_be_bytes(&header.commitment(&pubdata)), digest);
        assert_eq!(header.preimage(&pubdata).len(), 8 + 192 + 3);

        let base = header.commitment(&pubdata);
        let changed = [
            BatchHeader {
                number: 2,
                ..header
            },
            BatchHeader {
                domain: Fr::from(0u64),
                ..header
            },
            BatchHeader {
                old_root: Fr::from(0u64),
                ..header
            },
            BatchHeader {
                new_root: Fr::from(0u64),
                ..header
            },
            BatchHeader {
                priority_before: Fr::from(0u64),
                ..header
            },
            BatchHeader {
                priority_after: Fr::from(0u64),
                ..header
            },
            BatchHeader {
                payout_hash: Fr::from(0u64),
                ..header
            },
        ];
        for other in changed {
            assert_ne!(other.commitment(&pubdata), base);
        }
        assert_ne!(header.commitment(&[9, 8, 6]), base);
    }
}
