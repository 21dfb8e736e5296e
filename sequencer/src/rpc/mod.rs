//! The JSON-RPC interface: the `verity` namespace ([`api`]) and the node's implementation of
//! it ([`server`]).

pub mod api;
pub mod server;
