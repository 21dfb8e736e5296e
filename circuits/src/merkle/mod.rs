//! The sparse quaternary Poseidon Merkle tree that holds the accounts.
//!
//! A tree of depth `D` (the binary depth: `2^D` leaves, `D` even) has `D/2` levels of
//! four-way nodes, each `Poseidon(c0, c1, c2, c3)` (circomlib, 4 inputs). A quaternary node
//! costs about 300 R1CS constraints and replaces two binary levels of about 240 each, which
//! is why Verity uses arity 4. An empty leaf is 0 and an empty subtree hashes to the
//! Poseidon of four empty subtrees one level down. Only non-empty nodes are stored, so
//! memory grows with the accounts present, not with `2^D`.

#[cfg(feature = "r1cs")]
pub mod constraints;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::poseidon::poseidon;
use crate::Fr;

/// Children per node.
pub const ARITY: usize = 4;

/// The production depth: 2^32 accounts.
pub const DEFAULT_DEPTH: u8 = 32;

/// The largest supported binary depth (account indices are `u32`).
pub const MAX_DEPTH: u8 = 32;

/// A depth the tree cannot have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("tree depth must be even and between 2 and {MAX_DEPTH}, got {0}")]
pub struct BadDepth(pub u8);

/// The sparse tree.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    depth: u8,
    /// Non-empty nodes by (level, index); level 0 holds the leaves.
    nodes: HashMap<(u8, u64), Fr>,
    /// The hash of an empty subtree at each level, `empty[0] = 0`.
    empty: Vec<Fr>,
}

/// The siblings on the way from one leaf to the root: per level, the three other children
/// in child order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    /// The leaf's index.
    pub index: u64,
    /// From the leaf's level up; each entry lists the siblings left to right.
    pub siblings: Vec<[SerFr; ARITY - 1]>,
}

/// A field element that serialises as `0x` hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SerFr(#[serde(with = "crate::field::serde_fr")] pub Fr);

/// The empty-subtree hashes for `levels` levels above the leaves.
pub fn empty_hashes(levels: usize) -> Vec<Fr> {
    let mut empty = vec![Fr::from(0u64)];
    for level in 0..levels {
        let child = empty[level];
        empty.push(poseidon(&[child; ARITY]));
    }
    empty
}

impl SparseMerkleTree {
    /// An empty tree with `2^depth` leaves.
    pub fn new(depth: u8) -> Result<SparseMerkleTree, BadDepth> {
        if !(2..=MAX_DEPTH).contains(&depth) || !depth.is_multiple_of(2) {
            return Err(BadDepth(depth));
        }
        Ok(SparseMerkleTree {
            depth,
            nodes: HashMap::new(),
            empty: empty_hashes(usize::from(depth / 2)),
        })
    }

    /// A tree holding `leaves` (index, value), hashing every non-empty inner node once, level
    /// by level: how a node rebuilds its tree from stored accounts at startup.
    ///
    /// # Panics
    /// When an index lies outside the tree.
    pub fn from_leaves(
        depth: u8,
        leaves: impl IntoIterator<Item = (u64, Fr)>,
    ) -> Result<SparseMerkleTree, BadDepth> {
        let mut tree = SparseMerkleTree::new(depth)?;
        let mut row: Vec<u64> = Vec::new();
        for (index, leaf) in leaves {
            assert!(index < tree.capacity(), "leaf {index} outside the tree");
            if leaf != tree.empty[0] {
                tree.nodes.insert((0, index), leaf);
                row.push(index);
            }
        }
        for level in 0..tree.levels() {
            let mut parents: Vec<u64> = row.iter().map(|index| index >> 2).collect();
            parents.sort_unstable();
            parents.dedup();
            for &parent in &parents {
                let children: Vec<Fr> = (0..ARITY as u64)
                    .map(|c| tree.node(level, parent * 4 + c))
                    .collect();
                let value = poseidon(&children);
                if value != tree.empty[level + 1] {
                    tree.nodes.insert((level as u8 + 1, parent), value);
                }
            }
            row = parents;
        }
        Ok(tree)
    }

    /// The binary depth.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of quaternary levels above the leaves.
    pub fn levels(&self) -> usize {
        usize::from(self.depth / 2)
    }

    /// Number of leaves, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    fn node(&self, level: usize, index: u64) -> Fr {
        self.nodes
            .get(&(level as u8, index))
            .copied()
            .unwrap_or(self.empty[level])
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.node(self.levels(), 0)
    }

    /// The leaf value at `index` (0 when empty).
    ///
    /// # Panics
    /// When `index` is outside the tree.
    pub fn leaf(&self, index: u64) -> Fr {
        assert!(index < self.capacity(), "leaf {index} outside the tree");
        self.node(0, index)
    }

    /// The siblings of `index` on its way to the root.
    ///
    /// # Panics
    /// When `index` is outside the tree.
    pub fn proof(&self, index: u64) -> MerkleProof {
        assert!(index < self.capacity(), "leaf {index} outside the tree");
        let mut siblings = Vec::with_capacity(self.levels());
        let mut position = index;
        for level in 0..self.levels() {
            let first = position & !3;
            let mut row = [SerFr(Fr::from(0u64)); ARITY - 1];
            let others = (0..ARITY as u64).filter(|c| first + c != position);
            for (slot, child) in row.iter_mut().zip(others) {
                *slot = SerFr(self.node(level, first + child));
            }
            siblings.push(row);
            position >>= 2;
        }
        MerkleProof { index, siblings }
    }

    /// Sets the leaf at `index` and returns the new root.
    ///
    /// # Panics
    /// When `index` is outside the tree.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Fr {
        assert!(index < self.capacity(), "leaf {index} outside the tree");
        let mut position = index;
        let mut value = leaf;
        for level in 0..=self.levels() {
            if value == self.empty[level] {
                self.nodes.remove(&(level as u8, position));
            } else {
                self.nodes.insert((level as u8, position), value);
            }
            if level == self.levels() {
                break;
            }
            let first = position & !3;
            let children: Vec<Fr> = (0..ARITY as u64)
                .map(|c| self.node(level, first + c))
                .collect();
            value = poseidon(&children);
            position >>= 2;
        }
        self.root()
    }

    /// Number of stored (non-empty) nodes, leaves included.
    pub fn stored_nodes(&self) -> usize {
        self.nodes.len()
    }
}

impl MerkleProof {
    /// The root that `leaf` at this proof's index hashes up to.
    pub fn root_for(&self, leaf: Fr) -> Fr {
        let mut value = leaf;
        let mut position = self.index;
        for row in &self.siblings {
            let slot = (position & 3) as usize;
            let mut children = [Fr::from(0u64); ARITY];
            let mut others = row.iter();
            for (child, entry) in children.iter_mut().enumerate() {
                *entry = if child == slot {
                    value
                } else {
                    others.next().expect("three siblings").0
                };
            }
            value = poseidon(&children);
            position >>= 2;
        }
        value
    }

    /// Whether `leaf` sits at this proof's index under `root`.
    pub fn verify(&self, leaf: Fr, root: Fr) -> bool {
        self.root_for(leaf) == root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_odd_or_oversized_depths() {
        assert_eq!(SparseMerkleTree::new(3).unwrap_err(), BadDepth(3));
        assert_eq!(SparseMerkleTree::new(34).unwrap_err(), BadDepth(34));
        assert_eq!(SparseMerkleTree::new(0).unwrap_err(), BadDepth(0));
    }

    #[test]
    fn empty_root_is_the_empty_subtree_hash() {
        let tree = SparseMerkleTree::new(8).unwrap();
        assert_eq!(tree.root(), empty_hashes(4)[4]);
        assert_eq!(tree.stored_nodes(), 0);
    }

    #[test]
    fn matches_a_dense_computation() {
        let mut tree = SparseMerkleTree::new(4).unwrap();
        let leaves: Vec<Fr> = (0..16u64).map(|i| Fr::from(i * i + 1)).collect();
        for (i, leaf) in leaves.iter().enumerate() {
            tree.set(i as u64, *leaf);
        }
        let level1: Vec<Fr> = leaves.chunks(4).map(poseidon).collect();
        assert_eq!(tree.root(), poseidon(&level1));
    }

    #[test]
    fn proofs_verify_and_bind_leaf_index_and_root() {
        let mut tree = SparseMerkleTree::new(6).unwrap();
        for index in [0u64, 5, 17, 63] {
            tree.set(index, Fr::from(index + 100));
        }
        let root = tree.root();
        for index in [0u64, 5, 17, 63, 30] {
            let leaf = tree.leaf(index);
            let proof = tree.proof(index);
            assert!(proof.verify(leaf, root));
            assert!(!proof.verify(leaf + Fr::from(1u64), root));
            let moved = MerkleProof {
                index: index ^ 1,
                ..proof.clone()
            };
            assert!(!moved.verify(leaf, root) || tree.leaf(index ^ 1) == leaf);
        }
    }

    #[test]
    fn update_proof_gives_the_new_root() {
        let mut tree = SparseMerkleTree::new(8).unwrap();
        tree.set(3, Fr::from(9u64));
        let proof = tree.proof(200);
        let new_root = tree.set(200, Fr::from(77u64));
        assert_eq!(proof.root_for(Fr::from(77u64)), new_root);
    }

    #[test]
    fn bulk_build_equals_leaf_by_leaf_updates() {
        let leaves: Vec<(u64, Fr)> = [0u64, 1, 5, 17, 255, 4096, 65_535]
            .iter()
            .map(|&i| (i, Fr::from(i + 7)))
            .collect();
        let mut tree = SparseMerkleTree::new(16).unwrap();
        for (index, leaf) in &leaves {
            tree.set(*index, *leaf);
        }
        let bulk = SparseMerkleTree::from_leaves(16, leaves.iter().copied()).unwrap();
        assert_eq!(bulk.root(), tree.root());
        assert_eq!(bulk.stored_nodes(), tree.stored_nodes());
        assert_eq!(bulk.proof(4096), tree.proof(4096));
        let empty = SparseMerkleTree::from_leaves(16, [(3, Fr::from(0u64))]).unwrap();
        assert_eq!(empty.root(), SparseMerkleTree::new(16).unwrap().root());
    }

    #[test]
    fn clearing_a_leaf_frees_its_nodes() {
        let mut tree = SparseMerkleTree::new(32).unwrap();
        let empty_root = tree.root();
        tree.set(u32::MAX as u64, Fr::from(1u64));
        assert_eq!(tree.stored_nodes(), 17);
        assert_eq!(tree.set(u32::MAX as u64, Fr::from(0u64)), empty_root);
        assert_eq!(tree.stored_nodes(), 0);
    }
}
