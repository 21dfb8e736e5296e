//! Multi-scalar multiplication with batch-affine bucket accumulation.
//!
//! Why our own: `ark-ec` 0.6's `VariableBaseMSM` accumulates buckets in extended Jacobian
//! coordinates (≈ 10 field multiplications an addition), copies every base and scalar of its
//! big-scalar class and stores every signed digit as an `i64` (a few hundred MB per million
//! bases).
//! Batch-affine accumulation (one shared inversion per batch by Montgomery's trick) brings an
//! addition to ≈ 6 multiplications. No maintained crate offers it for arkworks 0.6 curves
//! without replacing arkworks itself: `ark-msm` targets arkworks 0.3/0.4, TACEO's forks
//! replace `ark-ec`. This module reads the bases in place and derives each signed digit from
//! the scalar when it needs it, so it allocates only its buckets. The bases are kept as
//! [`QueryPoints`]: coordinates only (an `Affine` spends 8 more bytes on its infinity flag)
//! and no points at infinity (39% of the B query's).

use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::AffineRepr;
use std::ops::Range;

use ark_ff::{AdditiveGroup, BigInt, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Scalars prepared for [`msm`]: each `k` is replaced by the smaller of `k` and `r − k`, the
/// choice kept in bit 255 (free: both are below `r / 2 < 2^253`), so that small negative
/// field elements (−1 is frequent in a witness) cost as little as small positive ones.
pub struct Scalars {
    words: Vec<[u64; 4]>,
}

/// Bit 255 of a prepared scalar: the base is negated.
const NEGATE: u64 = 1 << 63;

impl Scalars {
    /// Prepares `values`.
    pub fn new<F: PrimeField<BigInt = BigInt<4>>>(values: &[F]) -> Scalars {
        let words = values.par_iter().map(prepare).collect();
        Scalars { words }
    }

    /// Prepares `values` in their own memory: a field element and its prepared words have
    /// the same size and alignment, so `Vec`'s in-place collection reuses the allocation,
    /// where [`Scalars::new`] needs a second vector as large (33 MB for the 32-slot
    /// circuit's h query) while the first is alive. Serial: about 20 ms a million.
    pub fn from_vec<F: PrimeField<BigInt = BigInt<4>>>(values: Vec<F>) -> Scalars {
        let words = values.into_iter().map(|value| prepare(&value)).collect();
        Scalars { words }
    }

    /// The scalars in `range`.
    pub fn slice(&self, range: Range<usize>) -> ScalarSlice<'_> {
        ScalarSlice(&self.words[range])
    }

    /// Each scalar's magnitude in bits (0 for zero) and whether it was negated.
    pub fn magnitudes(&self) -> impl Iterator<Item = (u32, bool)> + '_ {
        self.words
            .iter()
            .map(|w| (magnitude_bits(w), w[3] & NEGATE != 0))
    }
}

/// One prepared scalar: the smaller of `k` and `r − k`, bit 255 set for the latter.
fn prepare<F: PrimeField<BigInt = BigInt<4>>>(value: &F) -> [u64; 4] {
    const {
        assert!(
            F::MODULUS_BIT_SIZE < 256,
            "bit 255 must be free for the sign"
        )
    };
    let k = value.into_bigint();
    if k > F::MODULUS_MINUS_ONE_DIV_TWO {
        let mut magnitude = F::MODULUS;
        magnitude.sub_with_borrow(&k);
        let mut words = magnitude.0;
        words[3] |= NEGATE;
        words
    } else {
        k.0
    }
}

/// Bit length of a prepared scalar's magnitude.
fn magnitude_bits(words: &[u64; 4]) -> u32 {
    let magnitude = [words[0], words[1], words[2], words[3] & !NEGATE];
    (0..4)
        .rev()
        .find(|&i| magnitude[i] != 0)
        .map_or(0, |i| 64 * i as u32 + 64 - magnitude[i].leading_zeros())
}

/// A run of prepared scalars.
#[derive(Clone, Copy)]
pub struct ScalarSlice<'a>(&'a [[u64; 4]]);

impl ScalarSlice<'_> {
    /// Bit length of the largest magnitude (a witness of bits needs one window only).
    fn bits(&self) -> u32 {
        self.0.par_iter().map(magnitude_bits).max().unwrap_or(0)
    }
}

/// The signed digit of `words` in window `window` of `c` bits (Booth recoding):
/// `d_w = raw_w + b_(cw−1) − 2^c · b_(cw+c−1)`, where `raw_w` is the window's `c` bits and
/// `b_i` bit `i`. The windows' `d_w · 2^(cw)` telescope to the magnitude, each `d_w` lies in
/// `[−2^(c−1), 2^(c−1)]`, and each is computed alone, without a carry pass.
#[inline(always)]
fn digit(words: &[u64; 4], window: u32, c: u32) -> i32 {
    let start = window * c;
    let bit = |i: u32| -> u64 {
        if i >= 255 {
            0
        } else {
            (words[(i / 64) as usize] >> (i % 64)) & 1
        }
    };
    let limb = (start / 64) as usize;
    let shift = start % 64;
    let mut raw = words[limb] >> shift;
    if shift + c > 64 && limb < 3 {
        raw |= words[limb + 1] << (64 - shift);
    }
    let mut raw = raw & ((1u64 << c) - 1);
    if limb == 3 {
        raw &= !(NEGATE >> shift);
    }
    let carry = if window == 0 { 0 } else { bit(start - 1) } as i64;
    let raw = raw as i64;
    // The window's top bit makes it negative and carries into the next window.
    (if raw >> (c - 1) == 1 {
        raw + carry - (1 << c)
    } else {
        raw + carry
    }) as i32
}

/// Window size for `n` bases whose scalars have `bits` bits.
fn window_bits(n: usize, bits: u32) -> u32 {
    if n < 32 {
        return 3;
    }
    // Cost of a window: one batch-affine addition (~6 multiplications) per base, and two
    // Jacobian additions (~12 each) per bucket when the buckets are summed. Windows run one
    // per thread, so what counts is the rounds of windows: with 2 threads, 17 windows take
    // as long as 18 (the b_g2 and h queries of the 32-slot circuit chose such sizes).
    let threads = rayon::current_num_threads().max(1) as u32;
    let cost = |c: u32| {
        let rounds = (bits + 1).div_ceil(c).div_ceil(threads) as f64;
        rounds * (6.0 * n as f64 + 24.0 * (1u64 << (c - 1)) as f64)
    };
    (4..=20)
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .unwrap()
}

/// The points of a proving-key query, ready for [`msm`]: the points at infinity (the
/// variables a matrix never uses) are left out, the others keep their two coordinates and,
/// when some were left out, the index of the scalar each multiplies.
pub struct QueryPoints<P: SWCurveConfig> {
    coordinates: Vec<(P::BaseField, P::BaseField)>,
    /// Per point, the index of its scalar; `None` when no point was left out, so that point
    /// `i` takes scalar `i`.
    scalars: Option<Vec<u32>>,
    /// How many scalars the query takes.
    len: usize,
}

impl<P: SWCurveConfig> QueryPoints<P> {
    /// The query `points` (fewer than 2^32).
    pub fn new(points: &[Affine<P>]) -> QueryPoints<P> {
        let len = points.len();
        assert!(u32::try_from(len).is_ok(), "2^32 points or more");
        // Counted first: collected from a filter, the vectors would grow by doubling and
        // keep up to twice their length (95 MB over the 32-slot circuit's queries).
        let finite = points.iter().filter(|p| !p.is_zero()).count();
        let mut coordinates = Vec::with_capacity(finite);
        coordinates.extend(points.iter().filter_map(|p| p.xy()));
        let scalars = (finite < len).then(|| {
            let mut indices = Vec::with_capacity(finite);
            indices.extend((0..len as u32).filter(|&i| !points[i as usize].is_zero()));
            indices
        });
        QueryPoints {
            coordinates,
            scalars,
            len,
        }
    }

    /// How many scalars the query takes (its points, counting those at infinity).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the query takes no scalar.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `Σ scalars[i] · query[i]`.
pub fn msm<P: SWCurveConfig>(query: &QueryPoints<P>, scalars: ScalarSlice<'_>) -> Projective<P> {
    assert_eq!(query.len(), scalars.0.len(), "one scalar per point");
    let bits = scalars.bits();
    if bits == 0 {
        return Projective::zero();
    }
    let c = window_bits(query.coordinates.len(), bits);
    // Magnitudes are below 2^253 but windows must absorb the last carry.
    let windows = (bits + 1).div_ceil(c);
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(query, scalars.0, w, c))
        .collect();
    let mut total = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += sum;
    }
    total
}

/// Buckets of one window, accumulated in affine coordinates in batches that share one
/// inversion. A base for a bucket already in the open batch goes to that bucket's overflow,
/// accumulated in extended Jacobian coordinates (rare for random scalars; the common case
/// for the many small witness values that share a few buckets).
struct Accumulator<P: SWCurveConfig> {
    buckets: Vec<Affine<P>>,
    overflow: Vec<Bucket<P>>,
    busy: Vec<bool>,
    batch: Vec<(u32, Affine<P>)>,
    denominators: Vec<P::BaseField>,
    /// Prefix products for the shared inversion.
    prefixes: Vec<P::BaseField>,
    capacity: usize,
}

impl<P: SWCurveConfig> Accumulator<P> {
    fn new(buckets: usize) -> Self {
        let capacity = (buckets / 16).clamp(16, 1024);
        Accumulator {
            buckets: vec![Affine::zero(); buckets],
            overflow: vec![Bucket::ZERO; buckets],
            busy: vec![false; buckets],
            batch: Vec::with_capacity(capacity),
            denominators: Vec::with_capacity(capacity),
            prefixes: Vec::with_capacity(capacity),
            capacity,
        }
    }

    #[inline]
    fn add(&mut self, bucket: usize, point: Affine<P>) {
        if self.busy[bucket] {
            self.overflow[bucket] += point;
            return;
        }
        let current = self.buckets[bucket];
        if current.is_zero() {
            self.buckets[bucket] = point;
            return;
        }
        if current.x == point.x {
            // The same point (a doubling) or its negation: rare, so no batching.
            self.overflow[bucket] += point;
            return;
        }
        self.busy[bucket] = true;
        self.batch.push((bucket as u32, point));
        if self.batch.len() == self.capacity {
            self.flush();
        }
    }

    /// Adds the open batch into its buckets: λ = (y₂ − y₁)/(x₂ − x₁), one inversion for all.
    fn flush(&mut self) {
        self.denominators.clear();
        self.denominators.extend(
            self.batch
                .iter()
                .map(|(b, p)| p.x - self.buckets[*b as usize].x),
        );
        invert_all(&mut self.denominators, &mut self.prefixes);
        for ((b, p), inverse) in self.batch.iter().zip(&self.denominators) {
            let b = *b as usize;
            let q = self.buckets[b];
            let lambda = (p.y - q.y) * inverse;
            let x = lambda.square() - q.x - p.x;
            let y = lambda * (q.x - x) - q.y;
            self.buckets[b] = Affine::new_unchecked(x, y);
            self.busy[b] = false;
        }
        self.batch.clear();
    }

    /// `Σ (b + 1) · bucket_b` by running sums.
    fn finish(mut self) -> Projective<P> {
        self.flush();
        let mut running = Bucket::<P>::ZERO;
        let mut sum = Bucket::<P>::ZERO;
        for (bucket, overflow) in self.buckets.iter().zip(&self.overflow).rev() {
            running += bucket;
            if !overflow.is_zero() {
                running += overflow;
            }
            sum += &running;
        }
        sum.into()
    }
}

/// Inverts every (non-zero) value with one inversion (Montgomery's trick). Serial on
/// purpose: `ark_ff::batch_inversion` splits the batch across threads, one inversion and one
/// allocation each, inside a window that already has its thread.
fn invert_all<F: Field>(values: &mut [F], prefixes: &mut Vec<F>) {
    prefixes.clear();
    let mut product = F::one();
    for value in values.iter() {
        prefixes.push(product);
        product *= value;
    }
    let mut inverse = product
        .inverse()
        .expect("bucket additions have distinct x coordinates");
    for (value, prefix) in values.iter_mut().zip(prefixes.iter()).rev() {
        let next = inverse * *value;
        *value = inverse * prefix;
        inverse = next;
    }
}

/// The sum of window `window`: each point added into the bucket of its digit.
fn window_sum<P: SWCurveConfig>(
    query: &QueryPoints<P>,
    scalars: &[[u64; 4]],
    window: u32,
    c: u32,
) -> Projective<P> {
    let point = |&(x, y): &(P::BaseField, P::BaseField)| Affine::new_unchecked(x, y);
    let points = query.coordinates.iter().map(point);
    // One loop per layout, so that the dense one pays no index lookup.
    match &query.scalars {
        None => accumulate(points.enumerate(), scalars, window, c),
        Some(indices) => accumulate(
            indices.iter().map(|&i| i as usize).zip(points),
            scalars,
            window,
            c,
        ),
    }
}

/// Buckets `(index, point)` by the digit of `scalars[index]` in `window`, and sums them.
#[inline(always)]
fn accumulate<P: SWCurveConfig>(
    points: impl Iterator<Item = (usize, Affine<P>)>,
    scalars: &[[u64; 4]],
    window: u32,
    c: u32,
) -> Projective<P> {
    let mut accumulator = Accumulator::<P>::new(1 << (c - 1));
    for (index, base) in points {
        let words = &scalars[index];
        let d = digit(words, window, c);
        if d == 0 {
            continue;
        }
        let negate = (d < 0) != (words[3] & NEGATE != 0);
        let point = if negate { -base } else { base };
        accumulator.add((d.unsigned_abs() - 1) as usize, point);
    }
    accumulator.finish()
}

#[cfg(test)]
mod tests;
