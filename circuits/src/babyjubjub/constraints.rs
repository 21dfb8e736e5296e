//! Baby Jubjub points in-circuit, in circomlib's coordinates. The group law comes from
//! `ark-r1cs-std`'s twisted Edwards gadget over `ark-ed-on-bn254`'s `a = 1` form; crossing
//! the isomorphism `x_ark = √168700 · x` is a linear map, so it costs no constraints.

use ark_ec::AffineRepr;
use ark_ed_on_bn254::EdwardsConfig;
use ark_ff::Field;
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::groups::curves::twisted_edwards::AffineVar;
use ark_r1cs_std::groups::CurveVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};

use super::{sqrt_a, Point, COEFF_A, COEFF_D};
use crate::Fr;

type EdwardsVar = AffineVar<EdwardsConfig, FpVar<Fr>>;

/// A point in-circuit, circomlib coordinates.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// x.
    pub x: FpVar<Fr>,
    /// y.
    pub y: FpVar<Fr>,
}

impl PointVar {
    /// The point (x, y) from existing variables, with no check.
    pub fn from_coordinates(x: FpVar<Fr>, y: FpVar<Fr>) -> PointVar {
        PointVar { x, y }
    }

    /// A constant point.
    pub fn constant(point: &Point) -> PointVar {
        PointVar {
            x: FpVar::constant(point.x()),
            y: FpVar::constant(point.y()),
        }
    }

    /// Enforces `168700·x² + y² = 1 + 168696·x²·y²` (3 constraints and an equality).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let x2y2 = &x2 * &y2;
        let left = x2 * Fr::from(COEFF_A) + y2;
        let right = x2y2 * Fr::from(COEFF_D) + Fr::ONE;
        left.enforce_equal(&right)
    }

    fn to_ark(&self) -> EdwardsVar {
        EdwardsVar::new(&self.x * sqrt_a(), self.y.clone())
    }

    fn from_ark(point: &EdwardsVar) -> PointVar {
        let inverse = sqrt_a().inverse().expect("non-zero");
        PointVar {
            x: &point.x * inverse,
            y: point.y.clone(),
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &PointVar) -> PointVar {
        PointVar::from_ark(&(self.to_ark() + other.to_ark()))
    }

    /// `8 · self`: three doublings.
    pub fn times_cofactor(&self) -> Result<PointVar, SynthesisError> {
        let mut point = self.to_ark();
        for _ in 0..3 {
            point.double_in_place()?;
        }
        Ok(PointVar::from_ark(&point))
    }

    /// `scalar · self` for the little-endian bits of a scalar (double and add).
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        Ok(PointVar::from_ark(
            &self.to_ark().scalar_mul_le(bits.iter())?,
        ))
    }

    /// `scalar · base` for a constant base, from precomputed multiples `2^i · base`.
    pub fn fixed_base_mul_le(
        base: &Point,
        bits: &[Boolean<Fr>],
    ) -> Result<PointVar, SynthesisError> {
        let mut multiples = Vec::with_capacity(bits.len());
        let mut multiple = base.to_ark().into_group();
        for _ in bits {
            multiples.push(multiple);
            multiple = multiple + multiple;
        }
        let mut result = EdwardsVar::zero();
        result.precomputed_base_scalar_mul_le(bits.iter().zip(multiples.iter()))?;
        Ok(PointVar::from_ark(&result))
    }

    /// Enforces `self == other` when `condition` holds.
    pub fn conditional_enforce_equal(
        &self,
        other: &PointVar,
        condition: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        self.x.conditional_enforce_equal(&other.x, condition)?;
        self.y.conditional_enforce_equal(&other.y, condition)
    }

    /// The coordinates' values.
    pub fn value(&self) -> Result<(Fr, Fr), SynthesisError> {
        use ark_r1cs_std::GR1CSVar;
        Ok((self.x.value()?, self.y.value()?))
    }
}

impl AllocVar<Point, Fr> for PointVar {
    /// Allocates the coordinates and enforces that they lie on the curve.
    fn new_variable<T: std::borrow::Borrow<Point>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let point = f().map(|p| *p.borrow());
        let x = FpVar::new_variable(cs.clone(), || point.map(|p| p.x()), mode)?;
        let y = FpVar::new_variable(cs, || point.map(|p| p.y()), mode)?;
        let var = PointVar { x, y };
        var.enforce_on_curve()?;
        Ok(var)
    }
}
