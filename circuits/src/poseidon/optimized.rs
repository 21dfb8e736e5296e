//! circomlib's Poseidon permutation in the optimised form (Poseidon paper, appendix B):
//! the partial rounds' round constants are moved onto the first state word, and their MDS
//! products are refactored into sparse matrices (2t − 1 multiplications instead of t²), with
//! one dense correction after the last partial round. It computes exactly the same function as
//! the plain permutation of `light-poseidon` (a test compares them at every width); it exists
//! because that crate multiplies by the full matrix in every round, which makes the hash the
//! node's bottleneck (tree updates and signatures).

use ark_ff::{Field, Zero};
use light_poseidon::PoseidonParameters;

use crate::Fr;

pub(super) type Matrix = Vec<Vec<Fr>>;

/// A sparse matrix `[[m00, v], [w, I]]`.
#[derive(Clone, Debug)]
pub(super) struct Sparse {
    pub(super) m00: Fr,
    pub(super) v: Vec<Fr>,
    pub(super) w: Vec<Fr>,
}

/// Precomputed optimised constants for one width (the EVM contracts of `poseidon::solidity`
/// are generated from the same fields, in the same order as [`OptimizedPoseidon::hash`]).
#[derive(Clone, Debug)]
pub struct OptimizedPoseidon {
    width: usize,
    pub(super) mds: Matrix,
    /// Round constants of the first half of the full rounds.
    pub(super) first_full: Vec<Vec<Fr>>,
    /// The first-word constant of each partial round.
    pub(super) partial_constants: Vec<Fr>,
    /// The sparse matrix of each partial round.
    pub(super) sparse: Vec<Sparse>,
    /// The dense lower block applied after the last partial round.
    pub(super) correction: Matrix,
    /// Round constants of the second half of the full rounds.
    pub(super) last_full: Vec<Vec<Fr>>,
}

fn multiply(m: &Matrix, x: &[Fr]) -> Vec<Fr> {
    m.iter()
        .map(|row| {
            row.iter()
                .zip(x)
                .fold(Fr::zero(), |acc, (a, b)| acc + *a * b)
        })
        .collect()
}

fn product(a: &Matrix, b: &Matrix) -> Matrix {
    let n = b.len();
    a.iter()
        .map(|row| {
            (0..b[0].len())
                .map(|j| (0..n).fold(Fr::zero(), |acc, k| acc + row[k] * b[k][j]))
                .collect()
        })
        .collect()
}

/// Gauss–Jordan inverse; MDS submatrices are always invertible.
fn inverse(m: &Matrix) -> Matrix {
    let n = m.len();
    let mut a: Matrix = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut extended = row.clone();
            extended.extend((0..n).map(|j| if i == j { Fr::ONE } else { Fr::zero() }));
            extended
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .find(|&r| !a[r][col].is_zero())
            .expect("an MDS block is invertible");
        a.swap(col, pivot);
        let scale = a[col][col].inverse().expect("non-zero pivot");
        for x in a[col].iter_mut() {
            *x *= scale;
        }
        for row in 0..n {
            if row != col && !a[row][col].is_zero() {
                let factor = a[row][col];
                let pivot_row = a[col].clone();
                for (x, p) in a[row].iter_mut().zip(pivot_row) {
                    *x -= factor * p;
                }
            }
        }
    }
    a.into_iter().map(|row| row[n..].to_vec()).collect()
}

pub(super) fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

impl OptimizedPoseidon {
    /// Precomputes the optimised form of `params`.
    pub fn new(params: &PoseidonParameters<Fr>) -> OptimizedPoseidon {
        let t = params.width;
        let half_full = params.full_rounds / 2;
        let partial = params.partial_rounds;
        let mut constants: Vec<Vec<Fr>> = params.ark.chunks(t).map(<[Fr]>::to_vec).collect();
        let mds = params.mds.clone();

        // Partial rounds: the constants of words 1.. pass the S-box untouched, so push them
        // through the MDS matrix into the next round.
        for round in half_full..half_full + partial {
            let mut rest = constants[round].clone();
            rest[0] = Fr::zero();
            let pushed = multiply(&mds, &rest);
            for (c, p) in constants[round + 1].iter_mut().zip(pushed) {
                *c += p;
            }
            for c in constants[round].iter_mut().skip(1) {
                *c = Fr::zero();
            }
        }

        // Partial rounds: X_0 = M; X_j = M'_j · M''_j with M'_j = diag(1, X̂_j) commuting with
        // the partial round, so it moves into the next round: X_{j+1} = M · M'_j.
        let mut sparse = Vec::with_capacity(partial);
        let mut x = mds.clone();
        let mut correction = Matrix::new();
        for j in 0..partial {
            let hat: Matrix = x[1..].iter().map(|row| row[1..].to_vec()).collect();
            let w: Vec<Fr> = x[1..].iter().map(|row| row[0]).collect();
            let hat_inverse = inverse(&hat);
            sparse.push(Sparse {
                m00: x[0][0],
                v: x[0][1..].to_vec(),
                w: multiply(&hat_inverse, &w),
            });
            let mut prime = vec![vec![Fr::zero(); t]; t];
            prime[0][0] = Fr::ONE;
            for (i, row) in hat.iter().enumerate() {
                prime[i + 1][1..].copy_from_slice(row);
            }
            if j + 1 == partial {
                correction = hat;
            } else {
                x = product(&mds, &prime);
            }
        }

        OptimizedPoseidon {
            width: t,
            first_full: constants[..half_full].to_vec(),
            partial_constants: constants[half_full..half_full + partial]
                .iter()
                .map(|c| c[0])
                .collect(),
            last_full: constants[half_full + partial..].to_vec(),
            sparse,
            correction,
            mds,
        }
    }

    fn full_round(&self, state: &mut [Fr], constants: &[Fr]) {
        for (s, c) in state.iter_mut().zip(constants) {
            *s = sbox(*s + c);
        }
        let next = multiply(&self.mds, state);
        state.copy_from_slice(&next);
    }

    /// The hash of `inputs` (exactly `width − 1` of them).
    pub fn hash(&self, inputs: &[Fr]) -> Fr {
        assert_eq!(inputs.len() + 1, self.width, "wrong number of inputs");
        let mut state = Vec::with_capacity(self.width);
        state.push(Fr::zero());
        state.extend_from_slice(inputs);
        for constants in &self.first_full {
            self.full_round(&mut state, constants);
        }
        for (constant, m) in self.partial_constants.iter().zip(&self.sparse) {
            let first = sbox(state[0] + constant);
            let mut top = m.m00 * first;
            for (s, v) in state[1..].iter().zip(&m.v) {
                top += *s * v;
            }
            for (s, w) in state[1..].iter_mut().zip(&m.w) {
                *s += first * w;
            }
            state[0] = top;
        }
        let lower = multiply(&self.correction, &state[1..]);
        state[1..].copy_from_slice(&lower);
        for constants in &self.last_full {
            self.full_round(&mut state, constants);
        }
        state[0]
    }
}

#[cfg(test)]
mod tests {
    use light_poseidon::{Poseidon, PoseidonHasher};

    use super::*;
    use crate::poseidon::{parameters, MAX_INPUTS};

    #[test]
    fn equals_the_plain_permutation_at_every_width() {
        for inputs in 1..=MAX_INPUTS {
            let optimized = OptimizedPoseidon::new(parameters(inputs));
            let mut plain = Poseidon::<Fr>::new_circom(inputs).unwrap();
            for seed in 0..3u64 {
                let values: Vec<Fr> = (0..inputs as u64)
                    .map(|i| Fr::from(seed * 7919 + i).square() - Fr::from(seed))
                    .collect();
                assert_eq!(
                    optimized.hash(&values),
                    plain.hash(&values).unwrap(),
                    "{inputs} inputs"
                );
            }
        }
    }
}
