//! Packed decimal floats for amounts and fees in pubdata: `value = mantissa · 10^exponent`.
//!
//! Amounts use a 5-bit exponent and a 30-bit mantissa (35 bits: every multiple of `10^e`
//! below `(2^30 − 1)·10^e`, so up to nine significant digits); fees a 5-bit exponent and a
//! 5-bit mantissa (10 bits: 0–31 times a power of ten). A transaction whose amount or fee has
//! no exact packed form is refused; wallets round before signing. The packed word is the
//! exponent in the high bits followed by the mantissa.

#[cfg(feature = "r1cs")]
pub mod constraints;

/// The shape of one packed float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatFormat {
    /// Bits of the base-10 exponent.
    pub exponent_bits: u32,
    /// Bits of the mantissa.
    pub mantissa_bits: u32,
}

/// Transfer and withdrawal amounts.
pub const AMOUNT: FloatFormat = FloatFormat {
    exponent_bits: 5,
    mantissa_bits: 30,
};

/// Fees.
pub const FEE: FloatFormat = FloatFormat {
    exponent_bits: 5,
    mantissa_bits: 5,
};

impl FloatFormat {
    /// Width of the packed word.
    pub const fn bits(&self) -> u32 {
        self.exponent_bits + self.mantissa_bits
    }

    fn max_exponent(&self) -> u32 {
        (1 << self.exponent_bits) - 1
    }

    /// The packed word with the smallest exponent that represents `value` exactly, or `None`
    /// when no exponent does.
    pub fn encode(&self, value: u128) -> Option<u64> {
        let mantissa_limit = 1u128 << self.mantissa_bits;
        let mut mantissa = value;
        for exponent in 0..=self.max_exponent() {
            if mantissa < mantissa_limit {
                return Some((u64::from(exponent) << self.mantissa_bits) | mantissa as u64);
            }
            if !mantissa.is_multiple_of(10) {
                return None;
            }
            mantissa /= 10;
        }
        None
    }

    /// The smallest mantissa a word with a non-zero exponent may have: below it, ten times
    /// the mantissa fits with a smaller exponent, the one [`FloatFormat::encode`] picks.
    pub fn min_scaled_mantissa(&self) -> u64 {
        (1u64 << self.mantissa_bits).div_ceil(10)
    }

    /// The value of a packed word, or `None` when the word is wider than the format, is not
    /// the encoding [`FloatFormat::encode`] gives its value (one value, one encoding), or
    /// its value does not fit in 128 bits.
    pub fn decode(&self, packed: u64) -> Option<u128> {
        if packed >> self.bits() != 0 {
            return None;
        }
        let exponent = (packed >> self.mantissa_bits) as u32;
        let mantissa = u128::from(packed & ((1 << self.mantissa_bits) - 1));
        if exponent > 0 && mantissa < u128::from(self.min_scaled_mantissa()) {
            return None;
        }
        10u128.checked_pow(exponent)?.checked_mul(mantissa)
    }

    /// Whether `value` has an exact packed form.
    pub fn represents(&self, value: u128) -> bool {
        self.encode(value).is_some()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn edges() {
        assert_eq!(AMOUNT.encode(0), Some(0));
        assert_eq!(AMOUNT.encode((1 << 30) - 1), Some((1 << 30) - 1));
        assert_eq!(AMOUNT.encode(1 << 30), None);
        assert_eq!(
            AMOUNT.decode(AMOUNT.encode(10u128.pow(18)).unwrap()),
            Some(10u128.pow(18))
        );
        assert_eq!(
            AMOUNT.encode(123_456_789_000_000_000_000),
            Some((12 << 30) | 123_456_789)
        );
        assert_eq!(FEE.encode(31_000), Some((3 << 5) | 31));
        assert_eq!(FEE.encode(33), None);
        assert_eq!(AMOUNT.decode(1 << 35), None);
        // 2^30 − 1 times 10^31 exceeds 2^128: decodes to nothing rather than wrapping.
        assert_eq!(AMOUNT.decode(u64::MAX >> 29), None);
        assert!(AMOUNT.encode(u128::MAX).is_none());
    }

    proptest! {
        #[test]
        fn round_trips(mantissa in 0u128..(1 << 30), exponent in 0u32..=28) {
            let value = mantissa * 10u128.pow(exponent);
            let packed = AMOUNT.encode(value).expect("representable");
            prop_assert_eq!(AMOUNT.decode(packed), Some(value));
        }
    }
}
