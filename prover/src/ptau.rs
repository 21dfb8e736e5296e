//! snarkjs's `.ptau` file (powers of tau, prepared for phase 2), from which phase 2 starts:
//! section 1 (field size, modulus, power), 2 (τ^i·G1, `2^(power+1) − 1` points), 3 (τ^i·G2),
//! 4 (α·τ^i·G1), 5 (β·τ^i·G1), 6 (β·G2), 7 (contributions), and the Lagrange forms of 2 (12),
//! 3 (13), 4 (14) and 5 (15): block `k` holds `2^k` points `s·L_j(τ)·G` of the domain of
//! size `2^k` and starts at point `2^k − 1`, for `k ≤ power` (section 12 has one more block).
//! Points are encoded as [`crate::binfile`] says.

use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ff::PrimeField;

use crate::binfile::{get_g1s, get_g2, get_g2_query, BinFile, Reader};
use crate::ProverError;

/// A parsed `.ptau` file.
pub struct Ptau<'a> {
    file: BinFile<'a>,
    power: u32,
}

impl<'a> Ptau<'a> {
    /// Parses a file's bytes, checking the header (BN254's base field).
    pub fn parse(bytes: &'a [u8]) -> Result<Ptau<'a>, ProverError> {
        let file = BinFile::parse(bytes, *b"ptau")?;
        let mut header = file.section(1)?;
        if header.u32()? != 32 || header.big_int()? != Fq::MODULUS {
            return Err(ProverError::Format(
                "not a powers-of-tau file for BN254".into(),
            ));
        }
        let power = header.u32()?;
        if !(1..=27).contains(&power) {
            return Err(ProverError::Format(format!(
                "a power of {power} is out of range"
            )));
        }
        Ok(Ptau { file, power })
    }

    /// The ceremony's power: it covers FFT domains up to `2^power`.
    pub fn power(&self) -> u32 {
        self.power
    }

    fn points(&self, section: u32, start: usize, size: usize) -> Result<Reader<'a>, ProverError> {
        let mut reader = self.file.section(section)?;
        reader
            .take(start * size)
            .map_err(|_| self.missing(section))?;
        Ok(reader)
    }

    fn missing(&self, section: u32) -> ProverError {
        ProverError::Format(format!(
            "section {section} is missing or short: is the file prepared for phase 2 \
             (snarkjs powersoftau prepare phase2)?"
        ))
    }

    /// `count` G1 points of `section` from point `start`, each checked on the curve.
    pub fn g1(
        &self,
        section: u32,
        start: usize,
        count: usize,
    ) -> Result<Vec<G1Affine>, ProverError> {
        let mut reader = self.points(section, start, 64)?;
        get_g1s(&mut reader, count, true).map_err(|_| self.missing(section))
    }

    /// The G2 point `index` of `section`, checked on the curve and in the subgroup.
    pub fn g2(&self, section: u32, index: usize) -> Result<G2Affine, ProverError> {
        let mut reader = self.points(section, index, 128)?;
        get_g2(&mut reader, true).map_err(|_| self.missing(section))
    }

    /// `count` G2 points of `section` from point `start` for a query, checked as
    /// [`get_g2_query`] says.
    pub fn g2_query(
        &self,
        section: u32,
        start: usize,
        count: usize,
    ) -> Result<Vec<G2Affine>, ProverError> {
        let mut reader = self.points(section, start, 128)?;
        get_g2_query(&mut reader, count, true).map_err(|_| self.missing(section))
    }

    /// Block `size` of Lagrange section `section` (12 to 15) in G1.
    pub fn lagrange_g1(&self, section: u32, size: usize) -> Result<Vec<G1Affine>, ProverError> {
        self.g1(section, size - 1, size)
    }
}
