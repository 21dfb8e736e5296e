//! Round trips through RocksDB on a temporary directory, key order, atomicity of a write and
//! the on-disk names other versions and tools rely on.

use alloy_primitives::{Address, B256};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, Domain, ForcedExit, L2Tx, PriorityOp, Transfer};
use verity_circuits::state::Account;
use verity_circuits::Fr;

use super::*;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes([seed; 32])
}

fn account(seed: u8, balance: u128) -> Account {
    Account {
        pubkey: key(seed).public_key(),
        l1_address: Address::repeat_byte(seed),
        token: u32::from(seed),
        balance,
        nonce: u32::from(seed) * 3,
    }
}

fn deposit(seed: u8) -> PriorityOp {
    PriorityOp::Deposit(Deposit {
        pubkey: key(seed).public_key(),
        l1_address: Address::repeat_byte(seed),
        token: 0,
        amount: u128::from(seed) * 1_000,
    })
}

fn transfer(nonce: u32) -> L2Tx {
    let tx = Transfer {
        from: 1,
        to: 2,
        token: 0,
        amount: 5,
        fee: 0,
        nonce,
    };
    let domain = Domain {
        chain_id: 1,
        rollup_address: Address::ZERO,
    };
    L2Tx::sign_transfer(tx, &key(1), &domain)
}

#[test]
fn every_record_written_reads_back_equal_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let meta = SequencerMeta {
        closed: 7,
        priority_consumed: 3,
        priority_hash: Fr::from(99u64),
        tokens: vec![Address::ZERO, Address::repeat_byte(9)],
        l1_scanned: 1234,
        priority_received: 5,
        next_open: 42,
    };
    let finalized = FinalizedMeta {
        batch: 6,
        root: Fr::from(7u64),
    };
    let hash = B256::repeat_byte(0xab);
    let record = TxRecord {
        tx: transfer(4),
        batch: Some(7),
    };
    let proof = ProofRecord {
        proof: serde_json::json!({"pi_a": ["1", "2", "1"]}),
        words: vec!["0x1".into(); 8],
        proving_seconds: 1.5,
        proven_at: 1_700_000_000,
        prover: "local".into(),
    };
    let l1 = L1Record {
        tx_hash: B256::repeat_byte(0xcd),
        finalized: true,
        finalized_at: Some(1_700_000_100),
    };
    {
        let store = Store::open(dir.path()).unwrap();
        let mut writer = store.writer();
        writer.sequencer_meta(&meta);
        writer.finalized_meta(&finalized);
        writer.account(3, &account(3, 10));
        writer.account(1, &account(1, u128::MAX));
        writer.finalized_account(2, &account(2, 0));
        writer.queued(0, &deposit(1));
        writer.queued(
            1,
            &PriorityOp::ForcedExit(ForcedExit {
                account: 3,
                token: 3,
                requester: Address::repeat_byte(4),
            }),
        );
        writer.tx(&hash, &record);
        writer.open_entry(0, &OpenEntry::L2 { tx: transfer(5) });
        writer.open_entry(1, &OpenEntry::Priority { index: 1 });
        writer.executed(6);
        writer.commit(true).unwrap();
        store.put_proof(6, &proof).unwrap();
        store.put_l1_record(6, &l1).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.sequencer_meta().unwrap(), Some(meta));
    assert_eq!(store.finalized_meta().unwrap(), finalized);
    assert_eq!(
        store.accounts().unwrap(),
        vec![(1, account(1, u128::MAX)), (3, account(3, 10))]
    );
    assert_eq!(
        store.finalized_accounts().unwrap(),
        vec![(2, account(2, 0))]
    );
    assert_eq!(store.queue_from(0).unwrap().len(), 2);
    assert_eq!(store.queue_from(1).unwrap()[0].0, 1);
    assert_eq!(store.tx(&hash).unwrap(), Some(record));
    assert_eq!(store.tx(&B256::ZERO).unwrap(), None);
    assert_eq!(
        store.open_entries().unwrap(),
        vec![
            OpenEntry::L2 { tx: transfer(5) },
            OpenEntry::Priority { index: 1 }
        ]
    );
    assert_eq!(store.executed().unwrap(), 6);
    assert_eq!(store.proof(6).unwrap(), Some(proof));
    assert_eq!(store.l1_record(6).unwrap(), Some(l1));
    // Nothing written reads as nothing, and an empty database as the start of the chain.
    assert_eq!(store.proof(7).unwrap(), None);
    assert_eq!(store.reconstructed_meta().unwrap(), None);
    let empty = tempfile::tempdir().unwrap();
    let empty = Store::open(empty.path()).unwrap();
    assert_eq!(empty.sequencer_meta().unwrap(), None);
    assert_eq!(empty.finalized_meta().unwrap(), FinalizedMeta::default());
    assert_eq!(empty.executed().unwrap(), 0);
}

#[test]
fn numbered_keys_iterate_in_numeric_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut writer = store.writer();
    // Little-endian or decimal keys would put 256 before 255 and 65536 before 257.
    for index in [65_536u64, 1, 257, 255, 256] {
        writer.queued(index, &deposit((index % 200) as u8 + 1));
    }
    writer.commit(false).unwrap();
    let order: Vec<u64> = store
        .queue_from(0)
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(order, vec![1, 255, 256, 257, 65_536]);
    let from: Vec<u64> = store
        .queue_from(256)
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(from, vec![256, 257, 65_536]);
}

#[test]
fn a_write_is_all_or_nothing_and_clearing_the_open_log_keeps_later_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut dropped = store.writer();
    dropped.account(0, &account(1, 1));
    dropped.executed(3);
    drop(dropped);
    assert!(store.accounts().unwrap().is_empty());
    assert_eq!(store.executed().unwrap(), 0);

    let mut writer = store.writer();
    for key in 0..5 {
        writer.open_entry(key, &OpenEntry::Priority { index: key });
    }
    writer.commit(false).unwrap();
    let mut writer = store.writer();
    writer.clear_open(3);
    writer.commit(false).unwrap();
    assert_eq!(
        store.open_entries().unwrap(),
        vec![
            OpenEntry::Priority { index: 3 },
            OpenEntry::Priority { index: 4 }
        ]
    );
}

#[test]
fn a_corrupt_record_is_an_error_naming_its_family() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .db
        .put_cf(store.family(PROOFS), number_key(1), b"{not json")
        .unwrap();
    match store.proof(1) {
        Err(StoreError::Corrupt { family, .. }) => assert_eq!(family, PROOFS),
        other => panic!("expected a corrupt-record error, got {other:?}"),
    }
}

#[test]
fn the_on_disk_names_are_the_ones_earlier_versions_wrote() {
    // A node's database outlives its binary: these names must never change.
    assert_eq!(
        FAMILIES,
        [
            "meta",
            "accounts",
            "finalized_accounts",
            "open",
            "queue",
            "txs",
            "contents",
            "batches",
            "jobs",
            "proofs",
            "l1",
            "history"
        ]
    );
    assert_eq!(
        [
            SEQUENCER_META,
            FINALIZED_META,
            EXECUTED_META,
            RECONSTRUCTED_META
        ],
        [
            &b"sequencer"[..],
            &b"finalized"[..],
            &b"materialized"[..],
            &b"reconstructed"[..]
        ]
    );
    // The closed-batch position keeps its JSON name.
    let json = serde_json::to_value(SequencerMeta::default()).unwrap();
    assert!(json.get("sealed").is_some(), "{json}");
}

#[test]
fn an_accounts_history_pages_in_acknowledgement_order_and_stays_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let hash = |n: u8| B256::repeat_byte(n);
    let mut writer = store.writer();
    // Account 7 sends at positions 2 and 5 and receives at 3; account 8 (a neighbour key)
    // and account 6 hold entries of their own around it.
    for (account, position, n) in [(7, 2, 1), (8, 3, 2), (7, 3, 2), (6, 4, 3), (7, 5, 4)] {
        writer.history(account, position, &hash(n));
    }
    writer.commit(false).unwrap();
    assert_eq!(
        store.history(7, 0, 10).unwrap(),
        [(2, hash(1)), (3, hash(2)), (5, hash(4))]
    );
    let first = store.history(7, 0, 2).unwrap();
    assert_eq!(first, [(2, hash(1)), (3, hash(2))]);
    // A later acknowledgement changes no page already read.
    let mut writer = store.writer();
    writer.history(7, 9, &hash(5));
    writer.commit(false).unwrap();
    assert_eq!(store.history(7, 0, 2).unwrap(), first);
    assert_eq!(
        store.history(7, 4, 2).unwrap(),
        [(5, hash(4)), (9, hash(5))]
    );
    assert_eq!(store.history(7, 10, 2).unwrap(), []);
    assert_eq!(store.history(8, 0, 10).unwrap(), [(3, hash(2))]);
    assert_eq!(store.history(9, 0, 10).unwrap(), []);
}
