//! Where the node publishes each batch's pubdata on L1: in the `submitBatch` calldata, or in
//! an EIP-4844 blob carried by the `submitBlobBatch` transaction. The choice is made when a
//! batch is sealed (the proof binds the data through a challenge derived from where it is
//! published) and recorded with the batch, so a restart with the other choice still submits
//! the batches sealed before it as they were proven.

use std::fmt;
use std::str::FromStr;

use verity_circuits::circuit::CircuitSize;
use verity_circuits::pubdata::{PubdataLayout, FEE_ENTRY_BYTES};
use verity_l1::blob::BLOB_CAPACITY;

/// Where batch pubdata goes on L1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Publication {
    /// In the `submitBatch` calldata: any L1, 16 gas a non-zero byte.
    #[default]
    Calldata,
    /// In one blob of the `submitBlobBatch` transaction, sent with an EIP-7594 (cell-proof)
    /// sidecar: an L1 with EIP-4844 and Fusaka's blob transactions (mainnet since Fusaka,
    /// anvil, the embedded L1); no execution gas per byte, about 53,000 more per batch (the
    /// precompile and the opening), and blob gas.
    Blob,
}

/// A circuit's largest pubdata does not fit one blob.
#[derive(Debug, thiserror::Error)]
#[error(
    "a {slots}-slot batch publishes up to {bytes} bytes of pubdata, more than one blob holds \
     ({BLOB_CAPACITY}): publish it in calldata"
)]
pub struct TooLargeForBlob {
    /// The circuit's slots.
    pub slots: usize,
    /// Its largest pubdata.
    pub bytes: usize,
}

impl Publication {
    /// Checks that every batch of `size` can be published this way.
    pub fn check(self, size: CircuitSize) -> Result<(), TooLargeForBlob> {
        let bytes = size.fee_slots * FEE_ENTRY_BYTES
            + size.slots * PubdataLayout { depth: size.depth }.chunk_bytes();
        match self {
            Publication::Blob if bytes > BLOB_CAPACITY => Err(TooLargeForBlob {
                slots: size.slots,
                bytes,
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Publication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Publication::Calldata => "calldata",
            Publication::Blob => "blob",
        })
    }
}

/// Not `calldata` or `blob`.
#[derive(Debug, thiserror::Error)]
#[error("publication {0:?}: expected `calldata` or `blob`")]
pub struct UnknownPublication(String);

impl FromStr for Publication {
    type Err = UnknownPublication;

    fn from_str(text: &str) -> Result<Publication, UnknownPublication> {
        match text {
            "calldata" => Ok(Publication::Calldata),
            "blob" => Ok(Publication::Blob),
            other => Err(UnknownPublication(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_circuit_fits_a_blob_and_a_larger_one_does_not() {
        let size = |slots| CircuitSize {
            slots,
            fee_slots: 2,
            depth: 32,
        };
        Publication::Blob.check(size(1024)).unwrap();
        let error = Publication::Blob.check(size(16_384)).unwrap_err();
        assert!(error.bytes > BLOB_CAPACITY);
        Publication::Calldata.check(size(16_384)).unwrap();
    }

    #[test]
    fn names_round_trip() {
        for publication in [Publication::Calldata, Publication::Blob] {
            assert_eq!(
                publication.to_string().parse::<Publication>().unwrap(),
                publication
            );
        }
        assert!("blobs".parse::<Publication>().is_err());
    }
}
