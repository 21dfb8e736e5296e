//! The embedded L1's consensus-layer blob API: `GET /eth/v1/beacon/blobs/{block_id}`
//! (optionally `?versioned_hashes=0x…,0x…`), answered as a beacon node answers it, from the
//! blobs the chain still keeps, so that blob readers written for a real L1 (a consensus
//! client beside the execution client) run against the embedded L1 unchanged.
//!
//! A `block_id` is `head`, `genesis`, `finalized`, a slot (here a block number: one block a
//! slot) or a beacon block root ([`EmbeddedChain::beacon_root`], which the next block's
//! header carries as `parent_beacon_block_root`). An unknown block is a 404; a block whose
//! blobs were dropped after the retention answers with no blobs, as a pruned node does.
//!
//! Served with hyper, like the fleet's metrics: the jsonrpsee server answers JSON-RPC only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use alloy::primitives::B256;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::chain::EmbeddedChain;

/// The path every request must start with.
const BLOBS_PATH: &str = "/eth/v1/beacon/blobs/";

/// Serves the blob API on `addr` until the returned task is aborted; the bound address.
pub async fn serve(
    chain: Arc<Mutex<EmbeddedChain>>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let chain = chain.clone();
            let service = service_fn(move |request: hyper::Request<_>| {
                let (status, body) = answer(&chain.lock().expect("chain lock"), request.uri());
                let response = Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body.to_string())))
                    .expect("a valid response");
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((bound, task))
}

/// The status and JSON body for `uri`.
fn answer(chain: &EmbeddedChain, uri: &hyper::Uri) -> (StatusCode, serde_json::Value) {
    let error = |status: StatusCode, message: &str| {
        let body = json!({ "code": status.as_u16(), "message": message });
        (status, body)
    };
    let Some(block_id) = uri.path().strip_prefix(BLOBS_PATH) else {
        return error(
            StatusCode::NOT_FOUND,
            "only /eth/v1/beacon/blobs/{block_id} is served",
        );
    };
    let Some(number) = block_number(chain, block_id) else {
        return error(StatusCode::NOT_FOUND, "Block not found");
    };
    let mut wanted = Vec::new();
    for (key, value) in uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
    {
        if key != "versioned_hashes" {
            continue;
        }
        for hash in value.split(',') {
            match B256::from_str(hash) {
                Ok(hash) => wanted.push(hash),
                Err(_) => return error(StatusCode::BAD_REQUEST, "invalid versioned hash"),
            }
        }
    }
    let blobs: Vec<String> = chain
        .blobs_in(number)
        .into_iter()
        .filter(|(hash, _)| wanted.is_empty() || wanted.contains(hash))
        .map(|(_, blob)| blob.to_string())
        .collect();
    let body = json!({ "execution_optimistic": false, "finalized": true, "data": blobs });
    (StatusCode::OK, body)
}

/// The block a `block_id` names, if the chain has it.
fn block_number(chain: &EmbeddedChain, block_id: &str) -> Option<u64> {
    match block_id {
        "head" | "finalized" | "justified" => Some(chain.head()),
        "genesis" => Some(0),
        root if root.starts_with("0x") => {
            let root = B256::from_str(root).ok()?;
            (0..=chain.head())
                .rev()
                .find(|n| chain.beacon_root(*n) == Some(root))
        }
        slot => slot.parse().ok().filter(|n| *n <= chain.head()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainConfig;

    fn ask(chain: &EmbeddedChain, uri: &str) -> (StatusCode, serde_json::Value) {
        answer(chain, &uri.parse().unwrap())
    }

    #[test]
    fn blocks_are_named_by_slot_root_or_tag_and_unknown_ones_are_not_found() {
        let mut chain = EmbeddedChain::new(ChainConfig {
            chain_id: 1337,
            funded: Vec::new(),
            block_gas_limit: 30_000_000,
            base_fee: 1,
            blob_retention: 10,
        });
        chain.mine();
        let root = chain.beacon_root(1).unwrap();
        for id in ["1", "head", &root.to_string()] {
            let (status, body) = ask(&chain, &format!("{BLOBS_PATH}{id}"));
            assert_eq!(status, StatusCode::OK, "{id}");
            assert_eq!(body["data"], json!([]), "a block without blobs");
        }
        for id in ["2", &B256::repeat_byte(7).to_string(), "next"] {
            assert_eq!(
                ask(&chain, &format!("{BLOBS_PATH}{id}")).0,
                StatusCode::NOT_FOUND
            );
        }
        let bad = format!("{BLOBS_PATH}1?versioned_hashes=0x12");
        assert_eq!(ask(&chain, &bad).0, StatusCode::BAD_REQUEST);
        assert_eq!(ask(&chain, "/eth/v1/node/version").0, StatusCode::NOT_FOUND);
    }
}
