//! The `.zkey` file (snarkjs's Groth16 proving key): sections 1 (protocol), 2 (Groth16
//! header: field sizes and moduli, variables, public inputs, domain size, α1, β1, β2, γ2, δ1,
//! δ2), 3 (IC), 4 (A and B coefficients), 5 (A), 6 (B in G1), 7 (B in G2), 8 (C), 9 (H) and
//! 10 (contributions), points encoded as [`crate::binfile`] says. Section 4 is the one place
//! a scalar is stored other than in normal form.

use std::path::Path;

use ark_bn254::{Fq, Fr};
use ark_ff::{Field, PrimeField};
use ark_groth16::VerifyingKey;

use super::{Coefficient, MatrixId, Zkey};
use crate::binfile::{
    field_bytes, get_g1, get_g1s, get_g2, get_g2_query, put_g1, put_g2, BinFile, BinFileWriter,
    Reader,
};
use crate::ProverError;

const MAGIC: [u8; 4] = *b"zkey";
const GROTH16: u32 = 1;
/// The section holding the ceremony's contributions.
pub const CONTRIBUTIONS_SECTION: u32 = 10;

/// `R² mod r` for R = 2^256: section 4 stores each coefficient times it, so that a prover
/// multiplying it in Montgomery form by a `.wtns` value (written in normal form) gets the
/// product in Montgomery form.
fn r_squared() -> Fr {
    Fr::from(2u64).pow([256]).square()
}

impl Zkey {
    /// The file's bytes.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut file = BinFileWriter::new(MAGIC, 1);
        file.section(1).extend_from_slice(&GROTH16.to_le_bytes());
        let header = file.section(2);
        header.extend_from_slice(&32u32.to_le_bytes());
        header.extend_from_slice(&field_bytes(&Fq::MODULUS));
        header.extend_from_slice(&32u32.to_le_bytes());
        header.extend_from_slice(&field_bytes(&Fr::MODULUS));
        header.extend_from_slice(&(self.variables as u32).to_le_bytes());
        header.extend_from_slice(&(self.public_inputs as u32).to_le_bytes());
        header.extend_from_slice(&(self.domain_size as u32).to_le_bytes());
        put_g1(header, &self.vk.alpha_g1);
        put_g1(header, &self.beta_g1);
        put_g2(header, &self.vk.beta_g2);
        put_g2(header, &self.vk.gamma_g2);
        put_g1(header, &self.delta_g1);
        put_g2(header, &self.vk.delta_g2);
        let ic = file.section(3);
        self.vk.gamma_abc_g1.iter().for_each(|p| put_g1(ic, p));
        let coefficients = file.section(4);
        coefficients.extend_from_slice(&(self.coefficients.len() as u32).to_le_bytes());
        let r2 = r_squared();
        for coefficient in &self.coefficients {
            let matrix = match coefficient.matrix {
                MatrixId::A => 0u32,
                MatrixId::B => 1,
            };
            coefficients.extend_from_slice(&matrix.to_le_bytes());
            coefficients.extend_from_slice(&coefficient.constraint.to_le_bytes());
            coefficients.extend_from_slice(&coefficient.variable.to_le_bytes());
            coefficients.extend_from_slice(&field_bytes(&(coefficient.value * r2).into_bigint()));
        }
        let a = file.section(5);
        self.a.iter().for_each(|p| put_g1(a, p));
        let b_g1 = file.section(6);
        self.b_g1.iter().for_each(|p| put_g1(b_g1, p));
        let b_g2 = file.section(7);
        self.b_g2.iter().for_each(|p| put_g2(b_g2, p));
        let c = file.section(8);
        self.c.iter().for_each(|p| put_g1(c, p));
        let h = file.section(9);
        self.h.iter().for_each(|p| put_g1(h, p));
        if !self.contributions.is_empty() {
            file.section(CONTRIBUTIONS_SECTION)
                .extend_from_slice(&self.contributions);
        }
        file.finish()
    }

    /// Writes the file to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ProverError> {
        crate::binfile::write(path, &self.to_file_bytes())
    }

    /// Reads a key from a file's bytes, without its coefficients. `checked` proves every
    /// point on the curve and the header's in their subgroup, the B query's G2 points not
    /// ([`get_g2_query`] says why) (for a key from elsewhere); unchecked reading
    /// is for a key whose hash vouches for it.
    pub fn from_file_bytes(bytes: &[u8], checked: bool) -> Result<Zkey, ProverError> {
        let file = BinFile::parse(bytes, MAGIC)?;
        if file.section(1)?.u32()? != GROTH16 {
            return Err(ProverError::Format("not a Groth16 key".into()));
        }
        let mut header = file.section(2)?;
        for modulus in [Fq::MODULUS, Fr::MODULUS] {
            if header.u32()? != 32 || header.big_int()? != modulus {
                return Err(ProverError::Format("not a key over BN254".into()));
            }
        }
        let variables = header.u32()? as usize;
        let public_inputs = header.u32()? as usize;
        let domain_size = header.u32()? as usize;
        if public_inputs >= variables || !domain_size.is_power_of_two() {
            return Err(ProverError::Format(
                "the header's sizes are inconsistent".into(),
            ));
        }
        let alpha_g1 = get_g1(&mut header, checked)?;
        let beta_g1 = get_g1(&mut header, checked)?;
        let beta_g2 = get_g2(&mut header, checked)?;
        let gamma_g2 = get_g2(&mut header, checked)?;
        let delta_g1 = get_g1(&mut header, checked)?;
        let delta_g2 = get_g2(&mut header, checked)?;
        let section = |id: u32, points: usize, size: usize| -> Result<Reader<'_>, ProverError> {
            let reader = file.section(id)?;
            if reader.remaining() != points * size {
                return Err(ProverError::Format(format!(
                    "section {id} holds {} bytes, not {points} points",
                    reader.remaining()
                )));
            }
            Ok(reader)
        };
        let witness = variables - public_inputs - 1;
        let gamma_abc_g1 = get_g1s(
            &mut section(3, public_inputs + 1, 64)?,
            public_inputs + 1,
            checked,
        )?;
        Ok(Zkey {
            public_inputs,
            variables,
            domain_size,
            vk: VerifyingKey {
                alpha_g1,
                beta_g2,
                gamma_g2,
                delta_g2,
                gamma_abc_g1,
            },
            beta_g1,
            delta_g1,
            coefficients: Vec::new(),
            a: get_g1s(&mut section(5, variables, 64)?, variables, checked)?,
            b_g1: get_g1s(&mut section(6, variables, 64)?, variables, checked)?,
            b_g2: get_g2_query(&mut section(7, variables, 128)?, variables, checked)?,
            c: get_g1s(&mut section(8, witness, 64)?, witness, checked)?,
            h: get_g1s(&mut section(9, domain_size, 64)?, domain_size, checked)?,
            contributions: file
                .section(CONTRIBUTIONS_SECTION)
                .map(|mut s| s.take(s.remaining()).map(<[u8]>::to_vec))
                .unwrap_or(Ok(Vec::new()))?,
        })
    }

    /// Reads a key from `path` (see [`Zkey::from_file_bytes`]).
    pub fn read(path: &Path, checked: bool) -> Result<Zkey, ProverError> {
        Zkey::from_file_bytes(&crate::binfile::read(path)?, checked)
    }
}

/// The coefficients (section 4) of a `.zkey` file's bytes.
pub fn read_coefficients(bytes: &[u8]) -> Result<Vec<Coefficient>, ProverError> {
    let file = BinFile::parse(bytes, MAGIC)?;
    let mut section = file.section(4)?;
    let count = section.u32()? as usize;
    if section.remaining() != count * 44 {
        return Err(ProverError::Format(
            "section 4's length does not match its coefficient count".into(),
        ));
    }
    let r2_inverse = r_squared().inverse().expect("R² is not zero");
    (0..count)
        .map(|_| {
            let matrix = match section.u32()? {
                0 => MatrixId::A,
                1 => MatrixId::B,
                _ => return Err(ProverError::Format("a coefficient names no matrix".into())),
            };
            let constraint = section.u32()?;
            let variable = section.u32()?;
            let value = Fr::from_bigint(section.big_int()?)
                .ok_or_else(|| ProverError::Format("a coefficient is not below r".into()))?;
            Ok(Coefficient {
                matrix,
                constraint,
                variable,
                value: value * r2_inverse,
            })
        })
        .collect()
}
