//! circom's `.wtns` file of a batch's full assignment (the constant one, the public input,
//! then the witness, in the `.r1cs` file's wire order), which outside provers read beside
//! the `.zkey`: section 1 holds the field size, the modulus and the count, section 2 the
//! values in normal form, little-endian.

use std::path::Path;

use ark_bn254::Fr;
use ark_ff::PrimeField;

use crate::binfile::{field_bytes, BinFile, BinFileWriter};
use crate::ProverError;

/// The file's bytes for `assignment`.
pub fn to_file_bytes(assignment: &[Fr]) -> Vec<u8> {
    let mut file = BinFileWriter::new(*b"wtns", 2);
    let header = file.section(1);
    header.extend_from_slice(&32u32.to_le_bytes());
    header.extend_from_slice(&field_bytes(&Fr::MODULUS));
    header.extend_from_slice(&(assignment.len() as u32).to_le_bytes());
    let values = file.section(2);
    values.reserve(32 * assignment.len());
    for value in assignment {
        values.extend_from_slice(&field_bytes(&value.into_bigint()));
    }
    file.finish()
}

/// Writes the file of `assignment` to `path`.
pub fn write(path: &Path, assignment: &[Fr]) -> Result<(), ProverError> {
    crate::binfile::write(path, &to_file_bytes(assignment))
}

/// The assignment in a file's bytes.
pub fn from_file_bytes(bytes: &[u8]) -> Result<Vec<Fr>, ProverError> {
    let file = BinFile::parse(bytes, *b"wtns")?;
    let mut header = file.section(1)?;
    if header.u32()? != 32 || header.big_int()? != Fr::MODULUS {
        return Err(ProverError::Format(
            "not a witness over BN254's scalar field".into(),
        ));
    }
    let count = header.u32()? as usize;
    let mut values = file.section(2)?;
    if values.remaining() != 32 * count {
        return Err(ProverError::Format(
            "section 2 does not hold the header's count".into(),
        ));
    }
    (0..count)
        .map(|_| {
            Fr::from_bigint(values.big_int()?)
                .ok_or_else(|| ProverError::Format("a value is not below r".into()))
        })
        .collect()
}
