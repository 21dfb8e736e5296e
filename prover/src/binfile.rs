//! The container iden3's tools (circom, snarkjs, rapidsnark) use for `.r1cs`, `.wtns`,
//! `.zkey` and `.ptau` files: a four-byte magic, a `u32` version, a `u32` section count, then
//! each section as its `u32` type, its `u64` length and its bytes, all integers little-endian.
//!
//! Points are affine, each base-field coordinate 32 little-endian bytes in Montgomery form
//! (R = 2^256, which is also how arkworks holds them, so they are copied limb for limb), a G2
//! coordinate as `c0` then `c1`; a point at infinity is all zeros (never a curve point:
//! `0 ≠ 0³ + b`).
//!
//! Written here because no crate reads or writes it for arkworks 0.6 (`ark-circom` targets
//! arkworks 0.4 and reads only).

use std::fs;
use std::path::Path;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, Zero};
use rayon::prelude::*;

use crate::ProverError;

/// Sections being written, in order.
pub struct BinFileWriter {
    magic: [u8; 4],
    version: u32,
    sections: Vec<(u32, Vec<u8>)>,
}

impl BinFileWriter {
    /// A file of type `magic`.
    pub fn new(magic: [u8; 4], version: u32) -> BinFileWriter {
        BinFileWriter {
            magic,
            version,
            sections: Vec::new(),
        }
    }

    /// Opens section `id` after the others and returns its bytes to fill.
    pub fn section(&mut self, id: u32) -> &mut Vec<u8> {
        self.sections.push((id, Vec::new()));
        &mut self.sections.last_mut().expect("just pushed").1
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        let length = 12
            + self
                .sections
                .iter()
                .map(|(_, s)| 12 + s.len())
                .sum::<usize>();
        let mut bytes = Vec::with_capacity(length);
        bytes.extend_from_slice(&self.magic);
        bytes.extend_from_slice(&self.version.to_le_bytes());
        bytes.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        for (id, section) in self.sections {
            bytes.extend_from_slice(&id.to_le_bytes());
            bytes.extend_from_slice(&(section.len() as u64).to_le_bytes());
            bytes.extend_from_slice(&section);
        }
        bytes
    }
}

/// A file's sections, read from its bytes.
pub struct BinFile<'a> {
    /// The version field.
    pub version: u32,
    sections: Vec<(u32, &'a [u8])>,
}

impl<'a> BinFile<'a> {
    /// Parses `bytes` as a file of type `magic`.
    pub fn parse(bytes: &'a [u8], magic: [u8; 4]) -> Result<BinFile<'a>, ProverError> {
        let mut reader = Reader::new(bytes);
        if reader.take(4)? != magic {
            return Err(ProverError::Format(format!(
                "not a .{} file (its magic bytes are not \"{}\")",
                String::from_utf8_lossy(&magic),
                String::from_utf8_lossy(&magic)
            )));
        }
        let version = reader.u32()?;
        let count = reader.u32()?;
        let mut sections = Vec::new();
        for _ in 0..count {
            let id = reader.u32()?;
            let length = usize::try_from(reader.u64()?)
                .map_err(|_| ProverError::Format("a section longer than memory".into()))?;
            sections.push((id, reader.take(length)?));
        }
        Ok(BinFile { version, sections })
    }

    /// Section `id` (the first, if several share it).
    pub fn section(&self, id: u32) -> Result<Reader<'a>, ProverError> {
        self.sections
            .iter()
            .find(|(found, _)| *found == id)
            .map(|(_, bytes)| Reader::new(bytes))
            .ok_or_else(|| ProverError::Format(format!("section {id} is missing")))
    }
}

/// A cursor over a section's bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ProverError> {
        if self.bytes.len() < n {
            return Err(ProverError::Format("a section ends early".into()));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, ProverError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, ProverError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// A 32-byte little-endian integer.
    pub fn big_int(&mut self) -> Result<BigInt<4>, ProverError> {
        let bytes = self.take(32)?;
        Ok(BigInt::new(std::array::from_fn(|i| {
            u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"))
        })))
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }
}

/// A 32-byte little-endian integer's bytes.
pub fn field_bytes(value: &BigInt<4>) -> [u8; 32] {
    let mut bytes = [0; 32];
    for (chunk, limb) in bytes.chunks_exact_mut(8).zip(value.0) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    bytes
}

fn put_fq(out: &mut Vec<u8>, value: &Fq) {
    out.extend_from_slice(&field_bytes(&value.0));
}

/// Appends a G1 point.
pub fn put_g1(out: &mut Vec<u8>, point: &G1Affine) {
    match point.xy() {
        Some((x, y)) => {
            put_fq(out, &x);
            put_fq(out, &y);
        }
        None => out.extend_from_slice(&[0; 64]),
    }
}

/// Appends a G2 point.
pub fn put_g2(out: &mut Vec<u8>, point: &G2Affine) {
    match point.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                put_fq(out, &c);
            }
        }
        None => out.extend_from_slice(&[0; 128]),
    }
}

/// A base-field element in Montgomery form, checked to be below the modulus.
fn get_fq(reader: &mut Reader<'_>) -> Result<Fq, ProverError> {
    let limbs = reader.big_int()?;
    if limbs >= Fq::MODULUS {
        return Err(ProverError::Format(
            "a coordinate is not below the modulus".into(),
        ));
    }
    Ok(Fq::new_unchecked(limbs))
}

/// A G1 point; `checked` also proves it on the curve (G1 has no other subgroup).
pub fn get_g1(reader: &mut Reader<'_>, checked: bool) -> Result<G1Affine, ProverError> {
    let (x, y) = (get_fq(reader)?, get_fq(reader)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::zero());
    }
    let point = G1Affine::new_unchecked(x, y);
    if checked && !point.is_on_curve() {
        return Err(ProverError::Format("a G1 point is not on the curve".into()));
    }
    Ok(point)
}

/// A G2 point; `checked` proves it on the curve and in the prime-order subgroup.
pub fn get_g2(reader: &mut Reader<'_>, checked: bool) -> Result<G2Affine, ProverError> {
    let point = g2_on_curve(reader, checked)?;
    if checked && !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(ProverError::Format(
            "a G2 point is not in the curve's prime-order subgroup".into(),
        ));
    }
    Ok(point)
}

fn g2_on_curve(reader: &mut Reader<'_>, checked: bool) -> Result<G2Affine, ProverError> {
    let x = Fq2::new(get_fq(reader)?, get_fq(reader)?);
    let y = Fq2::new(get_fq(reader)?, get_fq(reader)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::zero());
    }
    let point = G2Affine::new_unchecked(x, y);
    if checked && !point.is_on_curve() {
        return Err(ProverError::Format("a G2 point is not on the curve".into()));
    }
    Ok(point)
}

/// `count` G1 points, decoded in parallel; `checked` as for [`get_g1`].
pub fn get_g1s(
    reader: &mut Reader<'_>,
    count: usize,
    checked: bool,
) -> Result<Vec<G1Affine>, ProverError> {
    reader
        .take(count * 64)?
        .par_chunks_exact(64)
        .map(|bytes| get_g1(&mut Reader::new(bytes), checked))
        .collect()
}

/// `count` G2 points of a query, decoded in parallel; `checked` proves each on the curve but
/// not in the subgroup. The queries' G2 points only ever enter a proof's B, which every
/// verifier (arkworks', and the EVM's pairing precompile, EIP-197) refuses outside the
/// subgroup: a bad point could make honest proofs fail, never a false one pass, and the check
/// (≈0.1 ms a point) was most of the time a 2^18-point key took to read.
pub fn get_g2_query(
    reader: &mut Reader<'_>,
    count: usize,
    checked: bool,
) -> Result<Vec<G2Affine>, ProverError> {
    reader
        .take(count * 128)?
        .par_chunks_exact(128)
        .map(|bytes| g2_on_curve(&mut Reader::new(bytes), checked))
        .collect()
}

/// Writes `bytes` to `path`.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), ProverError> {
    fs::write(path, bytes).map_err(|source| ProverError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, ProverError> {
    fs::read(path).map_err(|source| ProverError::Io {
        path: path.to_owned(),
        source,
    })
}
