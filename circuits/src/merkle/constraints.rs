//! The quaternary Merkle path gadget: a leaf, its index bits and its siblings hash up to a
//! root. Placing the running hash among its three siblings costs 7 constraints a level (one
//! product of the two position bits, then one selection per child that can move), plus the
//! four-input Poseidon (297).

use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};

use super::{MerkleProof, ARITY};
use crate::poseidon::constraints::poseidon_var;
use crate::Fr;

/// The siblings of a path, per level left to right.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Per level, the three siblings in child order.
    pub siblings: Vec<[FpVar<Fr>; ARITY - 1]>,
}

impl AllocVar<MerkleProof, Fr> for MerklePathVar {
    /// Allocates the siblings (the index is allocated by the caller, as bits it shares).
    fn new_variable<T: std::borrow::Borrow<MerkleProof>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let proof = f()?;
        let proof = proof.borrow();
        let siblings = proof
            .siblings
            .iter()
            .map(|row| {
                let mut level = Vec::with_capacity(ARITY - 1);
                for sibling in row {
                    level.push(FpVar::new_variable(cs.clone(), || Ok(sibling.0), mode)?);
                }
                Ok(level.try_into().expect("three siblings"))
            })
            .collect::<Result<Vec<_>, SynthesisError>>()?;
        Ok(MerklePathVar { siblings })
    }
}

impl MerklePathVar {
    /// The root that `leaf` at the index with little-endian bits `index_bits` hashes to
    /// (two bits per level, lowest first).
    pub fn root(
        &self,
        leaf: &FpVar<Fr>,
        index_bits: &[Boolean<Fr>],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        assert_eq!(
            index_bits.len(),
            2 * self.siblings.len(),
            "two index bits per level"
        );
        let mut current = leaf.clone();
        for (level, [s0, s1, s2]) in self.siblings.iter().enumerate() {
            let b0 = FpVar::from(index_bits[2 * level].clone());
            let b1 = FpVar::from(index_bits[2 * level + 1].clone());
            let at3 = &b0 * &b1;
            let at1 = &b0 - &at3;
            let at2 = &b1 - &at3;
            let at0 = FpVar::one() - &b0 - &b1 + &at3;
            let child0 = s0 + &at0 * (&current - s0);
            let child1 = s1 + &at0 * (s0 - s1) + &at1 * (&current - s1);
            let child2 = s1 + &at2 * (&current - s1) + &at3 * (s2 - s1);
            let child3 = s2 + &at3 * (&current - s2);
            current = poseidon_var(&[child0, child1, child2, child3])?;
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;
    use crate::merkle::SparseMerkleTree;

    fn index_bits(
        cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
        index: u64,
        depth: u8,
    ) -> Vec<Boolean<Fr>> {
        (0..depth)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((index >> i) & 1 == 1)).unwrap())
            .collect()
    }

    #[test]
    fn matches_the_native_tree_at_every_position() {
        let mut tree = SparseMerkleTree::new(6).unwrap();
        for index in [0u64, 1, 2, 3, 6, 27, 41, 63] {
            tree.set(index, Fr::from(index * 3 + 1));
        }
        for index in [0u64, 1, 2, 3, 6, 27, 41, 63, 50] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let path = MerklePathVar::new_witness(cs.clone(), || Ok(tree.proof(index))).unwrap();
            let leaf = FpVar::new_witness(cs.clone(), || Ok(tree.leaf(index))).unwrap();
            let bits = index_bits(&cs, index, 6);
            let root = path.root(&leaf, &bits).unwrap();
            assert_eq!(root.value().unwrap(), tree.root(), "index {index}");
            root.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(tree.root())).unwrap())
                .unwrap();
            assert!(cs.is_satisfied().unwrap());
            if index == 0 {
                println!(
                    "quaternary path of 3 levels: {} constraints",
                    cs.num_constraints() - 1
                );
            }
        }
    }

    #[test]
    fn a_wrong_sibling_or_index_is_unsatisfied() {
        let mut tree = SparseMerkleTree::new(4).unwrap();
        for index in 0..16u64 {
            tree.set(index, Fr::from(index + 10));
        }
        let check = |proof: MerkleProof, index: u64, leaf: Fr| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let path = MerklePathVar::new_witness(cs.clone(), || Ok(proof)).unwrap();
            let leaf = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
            let root = path.root(&leaf, &index_bits(&cs, index, 4)).unwrap();
            root.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(tree.root())).unwrap())
                .unwrap();
            cs.is_satisfied().unwrap()
        };
        assert!(check(tree.proof(9), 9, tree.leaf(9)));
        let mut bad = tree.proof(9);
        bad.siblings[1][2].0 += Fr::from(1u64);
        assert!(!check(bad, 9, tree.leaf(9)));
        assert!(!check(tree.proof(9), 10, tree.leaf(9)));
        assert!(!check(tree.proof(9), 9, tree.leaf(8)));
    }

    #[test]
    fn a_path_is_determined_by_its_leaf_and_root() {
        let mut tree = SparseMerkleTree::new(6).unwrap();
        for index in [0u64, 5, 27, 41] {
            tree.set(index, Fr::from(index * 3 + 1));
        }
        let index = 27;
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (root, hashes) = crate::poseidon::constraints::record_hashes(|| {
            let path = MerklePathVar::new_witness(cs.clone(), || Ok(tree.proof(index))).unwrap();
            let leaf = FpVar::new_input(cs.clone(), || Ok(tree.leaf(index))).unwrap();
            let bits = index_bits(&cs, index, 6);
            path.root(&leaf, &bits).unwrap()
        });
        root.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(tree.root())).unwrap())
            .unwrap();
        let free = crate::determinism::free_variables(&cs, &hashes);
        assert!(free.is_empty(), "{free:?}");
    }
}
