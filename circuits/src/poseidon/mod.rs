//! Poseidon exactly as circomlib defines it (x^5 S-box, 8 full rounds, circomlib's partial
//! rounds and constants), for 1 to 12 inputs. `light-poseidon` supplies the parameters (and is
//! the reference the optimised native permutation is tested against).

#[cfg(feature = "r1cs")]
pub mod constraints;
pub mod optimized;
pub mod solidity;

use std::sync::OnceLock;

use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;
use light_poseidon::PoseidonParameters;

use optimized::OptimizedPoseidon;

use crate::Fr;

/// The most inputs one Poseidon call takes (circomlib width 13).
pub const MAX_INPUTS: usize = 12;

/// circomlib's round constants and MDS matrix for `inputs` inputs (width `inputs + 1`),
/// shared by the native hash and the gadget.
///
/// # Panics
/// When `inputs` is not in `1..=MAX_INPUTS`.
pub fn parameters(inputs: usize) -> &'static PoseidonParameters<Fr> {
    static PARAMETERS: OnceLock<Vec<PoseidonParameters<Fr>>> = OnceLock::new();
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon takes 1 to {MAX_INPUTS} inputs, got {inputs}"
    );
    let all = PARAMETERS.get_or_init(|| {
        (1..=MAX_INPUTS)
            .map(|n| get_poseidon_parameters::<Fr>(n as u8 + 1).expect("circomlib width"))
            .collect()
    });
    &all[inputs - 1]
}

/// circomlib's `Poseidon(n)` of `inputs`, in the optimised form of [`optimized`].
///
/// # Panics
/// When `inputs` is empty or longer than [`MAX_INPUTS`]: every caller hashes a fixed arity,
/// so this is a programming error, not an input error.
pub fn poseidon(inputs: &[Fr]) -> Fr {
    static HASHERS: OnceLock<Vec<OptimizedPoseidon>> = OnceLock::new();
    let arity = inputs.len();
    assert!(
        (1..=MAX_INPUTS).contains(&arity),
        "Poseidon takes 1 to {MAX_INPUTS} inputs, got {arity}"
    );
    let hashers = HASHERS.get_or_init(|| {
        (1..=MAX_INPUTS)
            .map(|n| OptimizedPoseidon::new(parameters(n)))
            .collect()
    });
    hashers[arity - 1].hash(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_hasher_gives_the_same_hash() {
        let inputs = [Fr::from(1u64), Fr::from(2u64)];
        assert_eq!(poseidon(&inputs), poseidon(&inputs));
        assert_ne!(
            poseidon(&inputs),
            poseidon(&[Fr::from(2u64), Fr::from(1u64)])
        );
    }

    #[test]
    #[should_panic(expected = "Poseidon takes 1 to 12 inputs")]
    fn refuses_thirteen_inputs() {
        poseidon(&[Fr::from(0u64); 13]);
    }
}
