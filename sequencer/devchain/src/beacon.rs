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
use std::time::Duration;

use alloy::eips::eip4844::Blob;
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
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors, a connection reset before it was taken: the
                // listener itself is fine, so wait a little and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let chain = chain.clone();
            let service = service_fn(move |request: hyper::Request<_>| {
                // The blobs are copied out under the lock and hex-encoded after it.
                let found = blobs(&chain.lock().expect("chain lock"), request.uri());
                let (status, body) = match found {
                    Ok(blobs) => {
                        let blobs: Vec<String> = blobs.iter().map(ToString::to_string).collect();
                        let body = json!({
                            "execution_optimistic": false,
                            "finalized": true,
                            "data": blobs,
                        });
                        (StatusCode::OK, body)
                    }
                    Err((status, message)) => (
                        status,
                        json!({ "code": status.as_u16(), "message": message }),
                    ),
                };
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

/// The blobs `uri` asks for, or the status and message of a refusal.
fn blobs(chain: &EmbeddedChain, uri: &hyper::Uri) -> Result<Vec<Blob>, (StatusCode, &'static str)> {
    let Some(block_id) = uri.path().strip_prefix(BLOBS_PATH) else {
        return Err((
            StatusCode::NOT_FOUND,
            "only /eth/v1/beacon/blobs/{block_id} is served",
        ));
    };
    let Some(number) = block_number(chain, block_id) else {
        return Err((StatusCode::NOT_FOUND, "Block not found"));
    };
    let mut wanted = Vec::new();
    let pairs = uri.query().unwrap_or_default().split('&');
    for (key, value) in pairs.filter_map(|pair| pair.split_once('=')) {
        if key != "versioned_hashes" {
            continue;
        }
        // A comma may come percent-encoded (form encoding of a list).
        for hash in value.replace("%2C", ",").replace("%2c", ",").split(',') {
            let hash = B256::from_str(hash)
                .map_err(|_| (StatusCode::BAD_REQUEST, "invalid versioned hash"))?;
            wanted.push(hash);
        }
    }
    Ok(chain
        .blobs_in(number)
        .into_iter()
        .filter(|(hash, _)| wanted.is_empty() || wanted.contains(hash))
        .map(|(_, blob)| *blob)
        .collect())
}

/// The block a `block_id` names, if the chain has it.
fn block_number(chain: &EmbeddedChain, block_id: &str) -> Option<u64> {
    match block_id {
        "head" | "finalized" | "justified" => Some(chain.head()),
        "genesis" => Some(0),
        root if root.starts_with("0x") => chain.block_of_beacon_root(&B256::from_str(root).ok()?),
        slot => slot.parse().ok().filter(|n| *n <= chain.head()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainConfig;

    fn ask(chain: &EmbeddedChain, uri: &str) -> Result<Vec<Blob>, StatusCode> {
        blobs(chain, &uri.parse().unwrap()).map_err(|(status, _)| status)
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
            let found = ask(&chain, &format!("{BLOBS_PATH}{id}"));
            assert_eq!(found, Ok(Vec::new()), "{id}: a block without blobs");
        }
        for id in ["2", &B256::repeat_byte(7).to_string(), "next"] {
            let found = ask(&chain, &format!("{BLOBS_PATH}{id}"));
            assert_eq!(found, Err(StatusCode::NOT_FOUND), "{id}");
        }
        let bad = format!("{BLOBS_PATH}1?versioned_hashes=0x12");
        assert_eq!(ask(&chain, &bad), Err(StatusCode::BAD_REQUEST));
        let listed = format!("{BLOBS_PATH}1?versioned_hashes={root}%2C{root}");
        assert_eq!(
            ask(&chain, &listed),
            Ok(Vec::new()),
            "a percent-encoded list"
        );
        let other = ask(&chain, "/eth/v1/node/version");
        assert_eq!(other, Err(StatusCode::NOT_FOUND));
    }
}
