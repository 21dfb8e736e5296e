//! The fleet's metrics: jobs queued, in flight, done, failed and dead-lettered, and proving
//! seconds; logged by the node and the workers, and served in the Prometheus text format on
//! `GET /metrics` when an address is given.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// The fleet's counters, shared by the tasks that update them.
#[derive(Clone)]
pub struct FleetMetrics {
    /// Jobs waiting for a worker.
    pub queued: Gauge,
    /// Jobs a worker holds.
    pub in_flight: Gauge,
    /// Jobs proven (node: valid proofs accepted; worker: proofs published).
    pub done: Counter,
    /// Failed attempts (node: invalid proofs rejected; worker: proving errors).
    pub failed: Counter,
    /// Jobs given up, on the dead-letter subject.
    pub dead: Gauge,
    /// Seconds per proof.
    pub proving_seconds: Histogram,
    registry: Arc<Registry>,
}

impl Default for FleetMetrics {
    fn default() -> Self {
        let queued = Gauge::default();
        let in_flight = Gauge::default();
        let done = Counter::default();
        let failed = Counter::default();
        let dead = Gauge::default();
        let proving_seconds = Histogram::new(exponential_buckets(0.25, 2.0, 12));
        let mut registry = Registry::with_prefix("verity_fleet");
        registry.register("jobs_queued", "Jobs waiting for a worker", queued.clone());
        registry.register("jobs_in_flight", "Jobs a worker holds", in_flight.clone());
        registry.register("jobs_done", "Jobs proven", done.clone());
        registry.register(
            "jobs_failed",
            "Failed attempts (invalid proofs, proving errors)",
            failed.clone(),
        );
        registry.register("jobs_dead", "Jobs on the dead-letter subject", dead.clone());
        registry.register(
            "proving_seconds",
            "Seconds per proof",
            proving_seconds.clone(),
        );
        FleetMetrics {
            queued,
            in_flight,
            done,
            failed,
            dead,
            proving_seconds,
            registry: Arc::new(registry),
        }
    }
}

impl FleetMetrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String");
        text
    }

    /// Logs the current values.
    pub fn log(&self) {
        tracing::info!(
            queued = self.queued.get(),
            in_flight = self.in_flight.get(),
            done = self.done.get(),
            failed = self.failed.get(),
            dead = self.dead.get(),
            "fleet"
        );
    }

    /// Serves `GET /metrics` on `addr` until the task is dropped; returns the bound address.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let metrics = self.clone();
        tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // A failed accept (out of file descriptors, a connection reset before
                    // it was taken) leaves the listener usable: wait a little and go on.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let metrics = metrics.clone();
                let service = service_fn(move |request: hyper::Request<_>| {
                    let response = if request.uri().path() == "/metrics" {
                        Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(Full::new(Bytes::from(metrics.render())))
                    } else {
                        Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::from_static(b"GET /metrics\n")))
                    };
                    async move { Ok::<_, Infallible>(response.expect("a valid response")) }
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(bound)
    }
}
