//! A canned Graph: a hyper server on 127.0.0.1 that answers the slice's five operations at
//! once with fixed bodies, on a thread and single-threaded runtime of its own, so that a
//! benchmark's client thread measures the client's own cost (the emulator's cost per request
//! would dwarf it).
//!
//! It reads each request in full and keeps the first request of each kind it sees (method,
//! path, query, headers, body), so a test can check that two clients put the same request on
//! the wire.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The limited-mode body of the GET and PATCH answers.
pub const LIMITED_MODE: &str = r##"{"@odata.context":"https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity","@odata.type":"#microsoft.graph.copilotAdminLimitedMode","id":"limitedMode","groupId":"4c563cdf-0efa-44c5-a384-dbf57db277df","isEnabledForGroup":true}"##;

/// The owners page of the list answer: a user, a service principal and an agent identity.
pub const OWNERS_PAGE: &str = r##"{"@odata.context":"https://graph.microsoft.com/beta/$metadata#directoryObjects","value":[{"@odata.type":"#microsoft.graph.user","id":"1511d5e7-c324-4362-ad4b-16c20076e5aa","displayName":"Adele Vance","userPrincipalName":"adele@contoso.example","mail":"adele@contoso.example"},{"@odata.type":"#microsoft.graph.servicePrincipal","id":"0d9f8e7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f","displayName":"Payroll","appId":"3f1d1b2a-0c4e-4e5f-8a6b-7c8d9e0f1a2b","servicePrincipalType":"Application"},{"@odata.type":"#microsoft.graph.agentIdentity","id":"7c1e7e55-3b7a-4f6e-9d3e-0a9c8b7d6e5f","displayName":"Expense agent","servicePrincipalType":"ServiceIdentity"}]}"##;

/// One request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    /// The query as sent.
    pub query: Option<String>,
    /// Every header, names lower-case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of a header, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What kind of answer a request gets: the operation it calls.
fn kind(method: &hyper::Method, path: &str) -> &'static str {
    let owners = path.contains("/owners");
    match (method.as_str(), owners, path.ends_with("/$ref")) {
        ("POST", true, true) => "add-owner",
        ("DELETE", true, true) => "remove-owner",
        ("GET", true, false) => "list-owners",
        ("GET", false, _) => "get-limited-mode",
        ("PATCH", false, _) => "patch-limited-mode",
        _ => "other",
    }
}

fn answer(kind: &str) -> Response<Full<Bytes>> {
    let (status, body) = match kind {
        "add-owner" | "remove-owner" => (StatusCode::NO_CONTENT, None),
        "list-owners" => (StatusCode::OK, Some(OWNERS_PAGE)),
        "get-limited-mode" | "patch-limited-mode" => (StatusCode::OK, Some(LIMITED_MODE)),
        _ => (
            StatusCode::NOT_FOUND,
            Some(r#"{"error":{"code":"NotFound","message":"canned server"}}"#),
        ),
    };
    let mut response = Response::new(Full::new(
        body.map_or_else(Bytes::new, |b| Bytes::from_static(b.as_bytes())),
    ));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "request-id",
        hyper::header::HeaderValue::from_static("a9b4c7d2-0000-4000-8000-000000000001"),
    );
    if body.is_some() {
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(
                "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8",
            ),
        );
    }
    response
}

/// A running canned server. Dropping it stops the server thread.
#[derive(Debug)]
pub struct CannedGraph {
    addr: SocketAddr,
    seen: Arc<Mutex<BTreeMap<&'static str, Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CannedGraph {
    /// Starts the server on a thread of its own (one single-threaded tokio runtime).
    ///
    /// # Panics
    ///
    /// When the thread, runtime or socket cannot be set up (a benchmark cannot go on then).
    #[allow(clippy::expect_used)]
    pub fn start() -> Self {
        let seen: Arc<Mutex<BTreeMap<&'static str, Seen>>> = Arc::default();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let keep = Arc::clone(&seen);
        let thread = std::thread::Builder::new()
            .name("canned-graph".into())
            .spawn(move || {
                // The server on the last CPU, a benchmark's client on the first.
                crate::cpu::pin_to_cpu(usize::MAX);
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async move {
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                            .await
                            .expect("bind");
                        addr_tx
                            .send(listener.local_addr().expect("addr"))
                            .expect("report address");
                        let serve = async {
                            loop {
                                let Ok((stream, _)) = listener.accept().await else {
                                    continue;
                                };
                                let _ = stream.set_nodelay(true);
                                let keep = Arc::clone(&keep);
                                tokio::spawn(async move {
                                    let service = hyper::service::service_fn(
                                        move |request: Request<Incoming>| {
                                            let keep = Arc::clone(&keep);
                                            async move {
                                                Ok::<_, Infallible>(serve(request, &keep).await)
                                            }
                                        },
                                    );
                                    let _ = hyper::server::conn::http1::Builder::new()
                                        .serve_connection(TokioIo::new(stream), service)
                                        .await;
                                });
                            }
                        };
                        tokio::select! {
                            () = serve => {}
                            _ = stopped => {}
                        }
                    });
            })
            .expect("server thread");
        let addr = addr_rx.recv().expect("server address");
        Self {
            addr,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The service root to give a client: `http://127.0.0.1:PORT/beta`.
    pub fn base_url(&self) -> String {
        format!("http://{}/beta", self.addr)
    }

    /// The first request of each kind (`add-owner`, `remove-owner`, `list-owners`,
    /// `get-limited-mode`, `patch-limited-mode`) seen since the last [`clear`](Self::clear).
    pub fn first_requests(&self) -> BTreeMap<&'static str, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the requests seen.
    pub fn clear(&self) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

async fn serve(
    request: Request<Incoming>,
    keep: &Mutex<BTreeMap<&'static str, Seen>>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let kind = kind(&parts.method, parts.uri.path());
    {
        let mut seen = keep.lock().unwrap_or_else(PoisonError::into_inner);
        seen.entry(kind).or_insert_with(|| Seen {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        });
    }
    answer(kind)
}

impl Drop for CannedGraph {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
