//! An account leaf in-circuit: its fields and the leaf hash, exactly as
//! [`super::Account::leaf_hash`] computes it.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::Account;
use crate::field::constraints::{AddressVar, AmountVar, U32Var};
use crate::field::fr_from_address;
use crate::poseidon::constraints::poseidon_var;
use crate::Fr;

/// The values a prover assigns to a leaf's fields. An honest prover takes them from an
/// [`Account`] ([`LeafFields::of`]); the circuit must refuse any others that hash alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafFields {
    /// Public key x.
    pub pubkey_x: Fr,
    /// Public key y.
    pub pubkey_y: Fr,
    /// L1 owner.
    pub l1_address: Fr,
    /// Token.
    pub token: Fr,
    /// Balance.
    pub balance: Fr,
    /// Nonce.
    pub nonce: Fr,
}

impl LeafFields {
    /// The fields of `account`.
    pub fn of(account: &Account) -> LeafFields {
        LeafFields {
            pubkey_x: account.pubkey.0.x(),
            pubkey_y: account.pubkey.0.y(),
            l1_address: fr_from_address(&account.l1_address),
            token: Fr::from(account.token),
            balance: Fr::from(account.balance),
            nonce: Fr::from(account.nonce),
        }
    }

    /// The fields of `account` with `token` and `nonce` replaced and the L1 address moved
    /// so that the packed word, hence the leaf hash, stays the same (audit C-1): what a
    /// dishonest prover would assign.
    #[cfg(test)]
    pub(crate) fn aliased(account: &Account, token: u32, nonce: u32) -> LeafFields {
        use ark_ff::Field;
        let real = LeafFields::of(account);
        let inverse = |k: u64| Fr::from(2u64).pow([k]).inverse().unwrap();
        let shift = (real.token - Fr::from(token)) * inverse(64)
            + (real.nonce - Fr::from(nonce)) * inverse(32);
        LeafFields {
            token: Fr::from(token),
            nonce: Fr::from(nonce),
            l1_address: real.l1_address + shift,
            ..real
        }
    }
}

/// The fields of a leaf, each a bounded integer except the key's coordinates.
#[derive(Clone, Debug)]
pub struct AccountVar {
    /// Public key x.
    pub pubkey_x: FpVar<Fr>,
    /// Public key y.
    pub pubkey_y: FpVar<Fr>,
    /// L1 owner.
    pub l1_address: AddressVar,
    /// Token.
    pub token: U32Var,
    /// Balance.
    pub balance: AmountVar,
    /// Nonce.
    pub nonce: U32Var,
}

impl AccountVar {
    /// Allocates the fields of a leaf that may be empty (`Some(None)`): an empty leaf has all
    /// fields zero (enforced), and `empty` says which it is. The token, nonce, owner and
    /// balance are range-checked here, where the leaf is opened, so the packed word
    /// `token + nonce·2^32 + l1_address·2^64` (below 2^224 < r) has exactly one split.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        leaf: Option<Option<LeafFields>>,
    ) -> Result<(AccountVar, Boolean<Fr>), SynthesisError> {
        let value = |get: fn(&LeafFields) -> Fr| {
            move || {
                leaf.map(|l| l.as_ref().map_or(Fr::from(0u64), get))
                    .ok_or(SynthesisError::AssignmentMissing)
            }
        };
        let pubkey_x = FpVar::new_witness(cs.clone(), value(|l| l.pubkey_x))?;
        let pubkey_y = FpVar::new_witness(cs.clone(), value(|l| l.pubkey_y))?;
        let var = {
            let _rule = tracing::info_span!(target: "gr1cs", "leaf_ranges").entered();
            AccountVar {
                pubkey_x,
                pubkey_y,
                l1_address: AddressVar::new_witness(cs.clone(), value(|l| l.l1_address))?,
                token: U32Var::new_witness(cs.clone(), value(|l| l.token))?,
                balance: AmountVar::new_witness(cs.clone(), value(|l| l.balance))?,
                nonce: U32Var::new_witness(cs.clone(), value(|l| l.nonce))?,
            }
        };
        let empty = Boolean::new_witness(cs, || {
            leaf.map(|l| l.is_none())
                .ok_or(SynthesisError::AssignmentMissing)
        })?;
        let empty_fp = FpVar::from(empty.clone());
        for field in var.fields() {
            (field * &empty_fp).enforce_equal(&FpVar::zero())?;
        }
        Ok((var, empty))
    }

    fn fields(&self) -> [&FpVar<Fr>; 6] {
        [
            &self.pubkey_x,
            &self.pubkey_y,
            self.l1_address.fp(),
            self.token.fp(),
            self.balance.fp(),
            self.nonce.fp(),
        ]
    }

    /// `token + nonce·2^32 + l1_address·2^64`, from range-checked parts.
    pub fn packed_fields(&self) -> FpVar<Fr> {
        self.token.fp()
            + self.nonce.fp() * Fr::from(1u64 << 32)
            + self.l1_address.fp() * Fr::from(1u128 << 64)
    }

    /// `Poseidon(pubkey.x, pubkey.y, balance, packed_fields)`.
    pub fn leaf_hash(&self) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_var(&[
            self.pubkey_x.clone(),
            self.pubkey_y.clone(),
            self.balance.fp().clone(),
            self.packed_fields(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;
    use crate::eddsa::PrivateKey;

    #[test]
    fn leaf_hash_matches_native_and_empty_leaves_are_zero() {
        let account = Account {
            pubkey: PrivateKey::from_bytes([4; 32]).public_key(),
            l1_address: Address::repeat_byte(0xfe),
            token: u32::MAX,
            balance: u128::MAX,
            nonce: u32::MAX,
        };
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (var, empty) =
            AccountVar::new_witness(cs.clone(), Some(Some(LeafFields::of(&account)))).unwrap();
        assert_eq!(
            var.leaf_hash().unwrap().value().unwrap(),
            account.leaf_hash()
        );
        assert!(!empty.value().unwrap());
        let (_, empty) = AccountVar::new_witness(cs.clone(), Some(None)).unwrap();
        assert!(empty.value().unwrap());
        assert!(cs.is_satisfied().unwrap());
    }

    #[test]
    fn same_hash_other_fields_is_refused() {
        let account = Account {
            pubkey: PrivateKey::from_bytes([4; 32]).public_key(),
            l1_address: Address::repeat_byte(0x32),
            token: 1,
            balance: 1_000_000,
            nonce: 5,
        };
        for (token, nonce) in [(0, 2), (1, 0), (7, 5), (0, 5), (u32::MAX, u32::MAX)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let fields = LeafFields::aliased(&account, token, nonce);
            let (var, _) = AccountVar::new_witness(cs.clone(), Some(Some(fields))).unwrap();
            assert_eq!(
                var.leaf_hash().unwrap().value().unwrap(),
                account.leaf_hash()
            );
            assert!(
                !cs.is_satisfied().unwrap(),
                "token {token}, nonce {nonce} accepted for the same leaf"
            );
        }
    }

    fn rich_account() -> Account {
        Account {
            pubkey: PrivateKey::from_bytes([4; 32]).public_key(),
            l1_address: Address::repeat_byte(0x32),
            token: 1,
            balance: 1_000_000,
            nonce: 5,
        }
    }

    /// Binds the key and the leaf hash publicly (in a slot the key is bound by the signature
    /// or by a second hash) and lists the variables that can still move.
    fn free_with_key_and_hash_public(account: &Account, leaf: &AccountVar) -> Vec<String> {
        let cs = leaf.pubkey_x.cs();
        for (var, value) in [
            (&leaf.pubkey_x, account.pubkey.0.x()),
            (&leaf.pubkey_y, account.pubkey.0.y()),
        ] {
            var.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(value)).unwrap())
                .unwrap();
        }
        let hash = FpVar::new_input(cs.clone(), || Ok(account.leaf_hash())).unwrap();
        let (leaf_hash, hashes) = crate::poseidon::constraints::record_hashes(|| leaf.leaf_hash());
        leaf_hash.unwrap().enforce_equal(&hash).unwrap();
        crate::determinism::free_variables(&cs, &hashes)
            .into_iter()
            .map(|f| format!("{f:?}"))
            .collect()
    }

    #[test]
    fn an_opened_leaf_is_determined_by_its_key_and_hash() {
        let account = rich_account();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (var, _) =
            AccountVar::new_witness(cs.clone(), Some(Some(LeafFields::of(&account)))).unwrap();
        let free = free_with_key_and_hash_public(&account, &var);
        assert!(free.is_empty(), "free: {free:?}");
        println!("opened leaf: {} constraints", cs.num_constraints());
    }

    #[test]
    fn the_determinism_check_finds_c1_in_a_leaf_opened_without_range_checks() {
        // The leaf as it was opened before the fix: six bare field witnesses.
        let account = rich_account();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let fields = LeafFields::of(&account);
        let bare = |value: Fr| FpVar::new_witness(cs.clone(), || Ok(value)).unwrap();
        let (l1_address, token, nonce) = (
            bare(fields.l1_address),
            bare(fields.token),
            bare(fields.nonce),
        );
        let balance = AmountVar::new_witness(cs.clone(), || Ok(fields.balance)).unwrap();
        let var = AccountVar {
            pubkey_x: bare(fields.pubkey_x),
            pubkey_y: bare(fields.pubkey_y),
            l1_address: AddressVar::checked(FpVar::zero()).unwrap(),
            token: U32Var::checked(FpVar::zero()).unwrap(),
            balance,
            nonce: U32Var::checked(FpVar::zero()).unwrap(),
        };
        // The old packed word, from the bare fields.
        let packed = &token + &nonce * Fr::from(1u64 << 32) + &l1_address * Fr::from(1u128 << 64);
        let (hash, hashes) = crate::poseidon::constraints::record_hashes(|| {
            poseidon_var(&[
                var.pubkey_x.clone(),
                var.pubkey_y.clone(),
                var.balance.fp().clone(),
                packed,
            ])
            .unwrap()
        });
        for (v, value) in [
            (&var.pubkey_x, account.pubkey.0.x()),
            (&var.pubkey_y, account.pubkey.0.y()),
            (&hash, account.leaf_hash()),
        ] {
            v.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(value)).unwrap())
                .unwrap();
        }
        let free: Vec<usize> = crate::determinism::free_variables(&cs, &hashes)
            .iter()
            .map(|f| f.variable)
            .collect();
        // Columns: one, three public inputs, then l1_address, token, nonce.
        assert_eq!(free, vec![4, 5, 6]);
    }
}
