//! The quaternary Merkle path gadget: a leaf, its index bits and its siblings hash up to a
//! root. Placing the running hash among its three siblings costs 3 constraints a level, plus
//! the four-input Poseidon (297): the low position bit orders the running hash and the
//! sibling it shares a pair with (one selection), the high bit orders the two pairs (one
//! selection per pair member); the other member of each selection is the sum minus the
//! selected one, which is linear. The siblings are allocated in that order (pair sibling,
//! then the other pair left to right), taken from the proof's own index.

use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};

use super::{MerkleProof, SerFr, ARITY};
use crate::poseidon::constraints::poseidon_var;
use crate::Fr;

/// The siblings of a path, per level in placement order.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Per level: the child sharing the running hash's pair, then the other pair's two
    /// children left to right.
    pub siblings: Vec<[FpVar<Fr>; ARITY - 1]>,
}

/// The siblings of one level in placement order, from the three in child order and the
/// running hash's position: for positions 0 and 1 the pair sibling comes first already;
/// for 2 and 3 it is the last of the three.
fn placement_order(siblings: &[SerFr; ARITY - 1], position: u64) -> [Fr; ARITY - 1] {
    let [s0, s1, s2] = siblings.map(|s| s.0);
    if position < 2 {
        [s0, s1, s2]
    } else {
        [s2, s0, s1]
    }
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
            .enumerate()
            .map(|(level, row)| {
                let position = (proof.index >> (2 * level)) & 3;
                let mut allocated = Vec::with_capacity(ARITY - 1);
                for sibling in placement_order(row, position) {
                    allocated.push(FpVar::new_variable(cs.clone(), || Ok(sibling), mode)?);
                }
                Ok(allocated.try_into().expect("three siblings"))
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
        for (level, [pair, other_left, other_right]) in self.siblings.iter().enumerate() {
            let low = FpVar::from(index_bits[2 * level].clone());
            let high = FpVar::from(index_bits[2 * level + 1].clone());
            // The running hash's pair, left then right.
            let left = &current + &low * (pair - &current);
            let right = pair + &current - &left;
            // The two pairs, in order.
            let child0 = &left + &high * (other_left - &left);
            let child1 = &right + &high * (other_right - &right);
            let child2 = &left + other_left - &child0;
            let child3 = &right + other_right - &child1;
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
            // Six index bits, then per level 3 to place the running hash and 297 to hash
            // (7 + 297 before the pair placement).
            assert_eq!(cs.num_constraints() - 1, 6 + 3 * (3 + 297), "index {index}");
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
