//! The accept loop: connections on the listening socket (plain TCP, or TLS after a handshake),
//! served by hyper over HTTP/1.1, and a graceful shutdown that lets open requests finish.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower_service::Service as _;

use crate::faults::DropConnection;
use crate::handler::handle;
use crate::pipeline::Shared;

/// How long a graceful shutdown waits for open requests before cutting connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

/// Serves connections until `shutdown` flips (or its sender goes away), then finishes open
/// requests for up to [`SHUTDOWN_GRACE`] and cuts what is left. Every connection task lives in a
/// [`JoinSet`] owned by this future, so aborting it ends them all.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let stats = Arc::clone(&shared.connections);
    let router = Router::new().fallback(handle).with_state(shared);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Typically out of file descriptors: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let (router, shutdown) = (router.clone(), shutdown.clone());
                let open = stats.opened();
                match &tls {
                    None => connections.spawn(async move {
                        let _open = open;
                        serve_connection(stream, router, shutdown).await;
                    }),
                    Some(tls) => {
                        let handshake = tls.accept(stream);
                        connections.spawn(async move {
                            let _open = open;
                            // A client that fails the handshake (distrusts the certificate, speaks
                            // plain HTTP) is dropped; it sees the TLS error on its side.
                            if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                                serve_connection(stream, router, shutdown).await;
                            }
                        })
                    }
                };
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

/// Resolves once shutdown is asked for (or the emulator handle is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection<S>(stream: S, router: Router, mut shutdown: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut router = router.clone();
        async move {
            let response = match router.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok::<_, ConnectionDropped>(response)
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
