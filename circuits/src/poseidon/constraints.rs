//! The Poseidon gadget: circomlib's permutation over R1CS, from the same parameters as the
//! native hash. Each x^5 S-box costs 3 constraints; the round constants and the MDS layer
//! are linear and free, so `n` inputs cost `3·(8·(n+1) + partial_rounds − 1)` constraints
//! (297 for four inputs: the first S-box of the zero capacity element acts on a constant).

use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

use super::parameters;
use crate::Fr;

fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// `Poseidon(inputs)` in-circuit, equal to [`super::poseidon`] on the values.
///
/// # Panics
/// When `inputs` is empty or longer than [`super::MAX_INPUTS`].
pub fn poseidon_var(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let params = parameters(inputs.len());
    let width = params.width;
    let mut state: Vec<FpVar<Fr>> = std::iter::once(FpVar::zero())
        .chain(inputs.iter().cloned())
        .collect();
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    for round in 0..rounds {
        for (i, element) in state.iter_mut().enumerate() {
            *element += params.ark[round * width + i];
        }
        let full = round < half_full || round >= half_full + params.partial_rounds;
        if full {
            for element in state.iter_mut() {
                *element = sbox(element)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        state = (0..width)
            .map(|row| {
                state
                    .iter()
                    .zip(&params.mds[row])
                    .fold(FpVar::zero(), |acc, (element, m)| acc + element * *m)
            })
            .collect();
    }
    let output = state.swap_remove(0);
    #[cfg(test)]
    HASH_LOG.with(|log| {
        if let Some(log) = log.borrow_mut().as_mut() {
            log.push(crate::determinism::HashCall {
                inputs: inputs.to_vec(),
                output: output.clone(),
            });
        }
    });
    Ok(output)
}

#[cfg(test)]
thread_local! {
    static HASH_LOG: std::cell::RefCell<Option<Vec<crate::determinism::HashCall>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `synthesize` and returns the Poseidon calls it made, for the determinism check.
#[cfg(test)]
pub(crate) fn record_hashes<T>(
    synthesize: impl FnOnce() -> T,
) -> (T, Vec<crate::determinism::HashCall>) {
    HASH_LOG.with(|log| *log.borrow_mut() = Some(Vec::new()));
    let result = synthesize();
    let calls = HASH_LOG
        .with(|log| log.borrow_mut().take())
        .unwrap_or_default();
    (result, calls)
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;
    use crate::field::parse_fr;
    use crate::poseidon::{poseidon, MAX_INPUTS};
    use crate::test_vectors;

    #[test]
    fn reproduces_every_circomlibjs_vector_in_circuit() {
        for vector in test_vectors::load().poseidon {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<FpVar<Fr>> = vector
                .inputs
                .iter()
                .map(|i| FpVar::new_witness(cs.clone(), || Ok(parse_fr(i).unwrap())).unwrap())
                .collect();
            let output = poseidon_var(&inputs).unwrap();
            assert_eq!(output.value().unwrap(), parse_fr(&vector.output).unwrap());
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn matches_native_at_every_width_and_counts_constraints() {
        for arity in 1..=MAX_INPUTS {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let values: Vec<Fr> = (0..arity as u64).map(|i| Fr::from(i * 1000 + 3)).collect();
            let inputs: Vec<FpVar<Fr>> = values
                .iter()
                .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
                .collect();
            let output = poseidon_var(&inputs).unwrap();
            let expected = poseidon(&values);
            assert_eq!(output.value().unwrap(), expected);
            let claimed = FpVar::new_input(cs.clone(), || Ok(expected)).unwrap();
            output.enforce_equal(&claimed).unwrap();
            assert!(cs.is_satisfied().unwrap());
            let params = crate::poseidon::parameters(arity);
            // The first S-box of the capacity element acts on a constant and costs nothing;
            // the final equality costs one.
            let sboxes = params.full_rounds * params.width + params.partial_rounds - 1;
            let expected_constraints = 3 * sboxes + 1;
            assert_eq!(cs.num_constraints(), expected_constraints);
            println!(
                "poseidon {arity} inputs: {} constraints",
                cs.num_constraints() - 1
            );
        }
    }

    #[test]
    fn a_wrong_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let input = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let output = poseidon_var(&[input]).unwrap();
        let claimed = FpVar::new_input(cs.clone(), || Ok(poseidon(&[Fr::from(2u64)]))).unwrap();
        output.enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
