//! Baby Jubjub points in-circuit, in circomlib's coordinates. The group law comes from
//! `ark-r1cs-std`'s twisted Edwards gadget over `ark-ed-on-bn254`'s `a = 1` form; crossing
//! the isomorphism `x_ark = √168700 · x` is a linear map, so it costs no constraints.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig};
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

    /// `scalar · self` for the little-endian bits of a scalar, two bits a window from the
    /// top: per window two doublings (5 constraints each), a pick from the table
    /// `{O, P, 2P, 3P}` (3 selections of a point, 2 constraints each) and one addition (6),
    /// so 11 a bit where plain double-and-add takes 13. Twisted Edwards addition and
    /// doubling are complete on Baby Jubjub (`d` is not a square), so no point, the identity
    /// and points of small order included, is a special case the prover could exploit.
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        let once = self.to_ark();
        let mut twice = once.clone();
        twice.double_in_place()?;
        let thrice = &twice + &once;
        let table = [EdwardsVar::zero(), once, twice, thrice];
        let mut windows = bits.chunks(2).rev();
        let Some(top) = windows.next() else {
            return Ok(PointVar::constant(&Point::IDENTITY));
        };
        let mut sum = pick(&table, top)?;
        for window in windows {
            sum.double_in_place()?;
            sum.double_in_place()?;
            sum += pick(&table, window)?;
        }
        Ok(PointVar::from_ark(&sum))
    }

    /// `scalar · base` for a constant base and the little-endian bits of a scalar, three
    /// bits a window: a window's eight multiples `v · 8^w · base` are constants, so picking
    /// one costs 3 constraints (the product of the two low bits, then one per coordinate for
    /// the high bit) and adding it 6, 3 a bit in all. The additions are complete, as above.
    pub fn fixed_base_mul_le(
        base: &Point,
        bits: &[Boolean<Fr>],
    ) -> Result<PointVar, SynthesisError> {
        let mut window_base = base.to_ark().into_group();
        let mut sum: Option<EdwardsVar> = None;
        for window in bits.chunks(3) {
            let mut multiples = [EdwardsAffine::zero(); 8];
            let mut multiple = EdwardsAffine::zero().into_group();
            for entry in &mut multiples {
                *entry = multiple.into_affine();
                multiple += window_base;
            }
            let picked = pick_constant(&multiples, window)?;
            sum = Some(match sum {
                Some(sum) => sum + picked,
                None => picked,
            });
            window_base = multiple;
        }
        Ok(PointVar::from_ark(&sum.unwrap_or_else(EdwardsVar::zero)))
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

/// `table[v]` for the little-endian bits of `v` (one or two bits): one selection of a point
/// per pair of entries, then one between the pairs.
fn pick(table: &[EdwardsVar; 4], bits: &[Boolean<Fr>]) -> Result<EdwardsVar, SynthesisError> {
    let low = bits[0].select(&table[1], &table[0])?;
    match bits.get(1) {
        None => Ok(low),
        Some(high) => high.select(&bits[0].select(&table[3], &table[2])?, &low),
    }
}

/// `multiples[v]` for the little-endian bits of `v` (one to three bits; missing ones are 0).
/// Each coordinate is multilinear in the bits: over the two low bits it is linear in
/// `b0, b1, b0·b1` with constant coefficients (one constraint for `b0·b1`), and the high bit
/// chooses between two such sums (one constraint a coordinate).
fn pick_constant(
    multiples: &[EdwardsAffine; 8],
    bits: &[Boolean<Fr>],
) -> Result<EdwardsVar, SynthesisError> {
    let bit = |i: usize| FpVar::from(bits.get(i).cloned().unwrap_or(Boolean::FALSE));
    let (b0, b1, b2) = (bit(0), bit(1), bit(2));
    let both = &b0 * &b1;
    // The identity is stored as (0, 1), so its coordinates are read like any other.
    let coordinate = |of: fn(&EdwardsAffine) -> Fr| {
        let c: Vec<Fr> = multiples.iter().map(of).collect();
        let over_low = |c: &[Fr]| {
            FpVar::constant(c[0])
                + &b0 * (c[1] - c[0])
                + &b1 * (c[2] - c[0])
                + &both * (c[3] - c[2] - c[1] + c[0])
        };
        let without = over_low(&c[..4]);
        let with = over_low(&c[4..]);
        &without + &b2 * (with - &without)
    };
    Ok(EdwardsVar::new(coordinate(|p| p.x), coordinate(|p| p.y)))
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

#[cfg(test)]
mod tests {
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use num_bigint::BigUint;

    use super::*;
    use crate::babyjubjub::subgroup_order;

    fn bits(cs: &ConstraintSystemRef<Fr>, scalar: &BigUint, width: u64) -> Vec<Boolean<Fr>> {
        (0..width)
            .map(|i| Boolean::new_input(cs.clone(), || Ok(scalar.bit(i))).unwrap())
            .collect()
    }

    fn scalars(width: u64) -> Vec<BigUint> {
        let one = BigUint::from(1u8);
        let top = (&one << width) - 1u8;
        let mut scalars = vec![
            BigUint::from(0u8),
            one.clone(),
            BigUint::from(2u8),
            BigUint::from(3u8),
            BigUint::from(8u8),
            top.clone(),
            &top >> 1u8,
            subgroup_order() - 1u8,
        ];
        if width >= 252 {
            scalars.push(subgroup_order());
            scalars.push(BigUint::from_bytes_be(&crate::field::fr_to_be_bytes(
                &-Fr::ONE,
            )));
        }
        let mut state = BigUint::from(0x5eed_u32);
        for _ in 0..4 {
            state =
                crate::field::fr_to_biguint(&crate::poseidon::poseidon(&[Fr::from(state.clone())]));
            scalars.push(&state & &top);
        }
        scalars
    }

    /// A point of Base8's subgroup, one of order 2·l outside it, the identity and the point
    /// of order 2: complete formulas must handle all of them.
    fn bases() -> Vec<Point> {
        let order_two = Point::new(Fr::from(0u64), -Fr::ONE).expect("order 2");
        let inside = Point::base8().mul(&BigUint::from(12345u32));
        vec![inside, inside.add(&order_two), Point::IDENTITY, order_two]
    }

    #[test]
    fn variable_base_multiplication_matches_native_and_costs_11_a_bit() {
        for base in bases() {
            for scalar in scalars(254) {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let point = PointVar::new_input(cs.clone(), || Ok(base)).unwrap();
                let bits = bits(&cs, &scalar, 254);
                let before = cs.num_constraints();
                let product = point.scalar_mul_le(&bits).unwrap();
                // 2P and 3P (11), the top window's pick (6), then two doublings, a pick and
                // an addition (22) for each of the other 126 windows.
                assert_eq!(cs.num_constraints() - before, 11 + 6 + 126 * 22);
                let expected = base.mul(&scalar);
                assert_eq!(product.value().unwrap(), (expected.x(), expected.y()));
                assert!(cs.is_satisfied().unwrap());
                // 2P, 3P; then 6 for the top window and 16 + 6 for each of the other 126.

                let wrong = base.mul(&(scalar + 1u8));
                if wrong != expected {
                    product
                        .conditional_enforce_equal(&PointVar::constant(&wrong), &Boolean::TRUE)
                        .unwrap();
                    assert!(!cs.is_satisfied().unwrap());
                }
            }
        }
    }

    #[test]
    fn fixed_base_multiplication_matches_native_and_costs_3_a_bit() {
        for width in [1u64, 2, 3, 4, 251] {
            for scalar in scalars(width) {
                let scalar = scalar % (BigUint::from(1u8) << width);
                let cs = ConstraintSystem::<Fr>::new_ref();
                let bits = bits(&cs, &scalar, width);
                let before = cs.num_constraints();
                let product = PointVar::fixed_base_mul_le(&Point::base8(), &bits).unwrap();
                if width == 251 {
                    // 83 picks of three bits (3 each), one of two (1), 83 additions (6 each):
                    // 748, where one addition a bit pair took 1,002.
                    assert_eq!(cs.num_constraints() - before, 83 * 3 + 1 + 83 * 6);
                }
                let expected = Point::base8().mul(&scalar);
                assert_eq!(product.value().unwrap(), (expected.x(), expected.y()));
                assert!(cs.is_satisfied().unwrap());
                let wrong = PointVar::constant(&Point::base8().mul(&(scalar + 1u8)));
                product
                    .conditional_enforce_equal(&wrong, &Boolean::TRUE)
                    .unwrap();
                assert!(!cs.is_satisfied().unwrap());
            }
        }
    }

    #[test]
    fn multiplications_leave_nothing_free_given_base_and_bits() {
        let scalar = scalars(254).pop().unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let base = PointVar::new_input(cs.clone(), || Ok(bases()[1])).unwrap();
        let bits = bits(&cs, &scalar, 254);
        base.scalar_mul_le(&bits).unwrap();
        PointVar::fixed_base_mul_le(&Point::base8(), &bits[..251]).unwrap();
        assert!(crate::determinism::free_variables(&cs, &[]).is_empty());
    }
}
