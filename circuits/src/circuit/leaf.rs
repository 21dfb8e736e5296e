//! One leaf update in-circuit: the leaf before is proven under the current root, and the
//! root is moved to the leaf after, with the same siblings and index bits.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::witness::LeafUpdate;
use crate::field::constraints::U32Var;
use crate::merkle::constraints::MerklePathVar;
use crate::state::account::constraints::AccountVar;
use crate::Fr;

/// A leaf as allocated before its update.
pub(crate) struct LeafVar {
    /// Little-endian index bits (the tree depth of them).
    pub index_bits: Vec<Boolean<Fr>>,
    /// The fields before the update (all zero when empty).
    pub before: AccountVar,
    /// Whether the leaf was empty.
    pub empty: Boolean<Fr>,
    path: MerklePathVar,
}

impl LeafVar {
    /// Allocates a leaf update's index, leaf and siblings.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        update: &LeafUpdate,
        depth: u8,
    ) -> Result<LeafVar, SynthesisError> {
        let index_bits = (0..depth)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((update.index >> i) & 1 == 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let (before, empty) = AccountVar::new_witness(cs.clone(), Some(update.before_fields()))?;
        let path = MerklePathVar::new_witness(cs, || Ok(&update.proof))?;
        Ok(LeafVar {
            index_bits,
            before,
            empty,
            path,
        })
    }

    /// The index, from its bits.
    pub fn index(&self) -> Result<U32Var, SynthesisError> {
        U32Var::from_bits_le(&self.index_bits)
    }

    /// Proves the leaf before under `root`, then returns the root with the leaf replaced by
    /// `after` (or by the empty leaf when `empty_after`).
    pub fn update(
        &self,
        root: &FpVar<Fr>,
        after: &AccountVar,
        empty_after: &FpVar<Fr>,
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let leaf_before = non_empty_hash(&self.before, &FpVar::from(self.empty.clone()))?;
        self.path
            .root(&leaf_before, &self.index_bits)?
            .enforce_equal(root)?;
        let leaf_after = non_empty_hash(after, empty_after)?;
        self.path.root(&leaf_after, &self.index_bits)
    }
}

/// The leaf value: 0 when `empty`, else the leaf hash.
fn non_empty_hash(account: &AccountVar, empty: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let hash = account.leaf_hash()?;
    Ok(&hash - &hash * empty)
}
