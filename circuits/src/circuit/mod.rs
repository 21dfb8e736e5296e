//! The batch validity circuit for `(slots, fee_slots, depth)`: a proof that a batch moved
//! the state root from `old_root` to `new_root` by valid operations only, consumed the
//! priority queue in order, made exactly the listed payouts, and published exactly the
//! pubdata, all bound by the public inputs of [`crate::batch::statement`], which the Rollup
//! contract assembles from its storage and the calldata.
//!
//! The native side (the witness and its circuit sizes, [`witness`]) is always built; the
//! R1CS side ([`BatchCircuit`], its slots and leaves) only with the `r1cs` feature, which the
//! prover enables and the wallet and RPC types do without.

#[cfg(feature = "r1cs")]
mod constraints;
#[cfg(feature = "r1cs")]
mod leaf;
#[cfg(feature = "r1cs")]
mod slot;
pub mod witness;

#[cfg(feature = "r1cs")]
pub use constraints::{BatchCircuit, ConstraintReport};
#[cfg(feature = "r1cs")]
pub use slot::SlotCost;
pub use witness::{BatchWitness, CircuitSize, WitnessError};

#[cfg(all(test, feature = "r1cs"))]
mod tests;
