//! Property tests (proptest) on the wire: for arbitrary Unicode ids, query values and next
//! links, the request the server receives targets exactly the intended template and origin, or
//! nothing is sent.
//!
//! The server is wiremock on 127.0.0.1 with no mocks (it answers 404 and records what arrives);
//! the client never retries, so every call sends at most one request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use common::*;
use graph_beta::prelude::*;
use proptest::prelude::*;
use wiremock::MockServer;

struct Fixture {
    rt: tokio::runtime::Runtime,
    server: MockServer,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        Fixture { rt, server }
    })
}

fn client() -> Client {
    let f = fixture();
    Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", f.server.uri()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Runs `call`, then returns what the server received (and forgets it for the next case). One
/// case at a time: the test functions share the server.
fn sent<T>(call: impl Future<Output = T>) -> (T, Vec<wiremock::Request>) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = fixture();
    f.rt.block_on(async {
        let out = call.await;
        let received = f.server.received_requests().await.unwrap_or_default();
        f.server.reset().await;
        (out, received)
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The raw path of a received request, split into its segments (encoded as sent).
fn segments(request: &wiremock::Request) -> Vec<String> {
    request
        .url
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// Whether the request was addressed to the service root's host and port (its `Host` header;
/// it reached this server, so the connection went there too).
fn same_origin(request: &wiremock::Request) -> bool {
    let addr = fixture().server.address();
    request
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h == format!("127.0.0.1:{}", addr.port()))
}

/// Ids users might pass: anything, weighted towards what breaks URLs.
fn ids() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        "[./?#%&=+ \\\\'\"a-zA-Z0-9ü€😀\u{0}\u{7f}]{0,12}",
        "(%2[eEfF]|%25|\\.|/){1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Adding an owner to an arbitrary agent id: one request to exactly
    /// `/beta/servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref`, the id one
    /// segment that decodes to itself; or, for `""`, `.` and `..`, an error and nothing sent.
    #[test]
    fn ids_are_one_segment_or_refused(id in ids()) {
        let client = client();
        let reference = ReferenceCreate::directory_object(&client, OWNER_ID).unwrap();
        let (result, received) = sent(async {
            client
                .service_principals()
                .by_service_principal_id(&id)
                .agent_identity()
                .owners()
                .ref_()
                .post(&reference)
                .await
        });
        if id.is_empty() || id == "." || id == ".." {
            prop_assert!(matches!(result, Err(Error::InvalidInput { .. })), "{result:?}");
            prop_assert!(received.is_empty());
        } else {
            prop_assert_eq!(received.len(), 1);
            let request = &received[0];
            prop_assert!(same_origin(request));
            prop_assert_eq!(request.method.as_str(), "POST");
            let segments = segments(request);
            prop_assert_eq!(segments.len(), 6, "{:?}", segments);
            prop_assert_eq!(&segments[0], "beta");
            prop_assert_eq!(&segments[1], "servicePrincipals");
            prop_assert_eq!(percent_decode(&segments[2]), id.as_bytes().to_vec());
            prop_assert_eq!(&segments[3..], &["microsoft.graph.agentIdentity", "owners", "$ref"]);
            prop_assert!(request.url.query().is_none());
        }
    }

    /// Removing an arbitrary owner id from an arbitrary agent id: both one segment each.
    #[test]
    fn two_ids_in_one_path(agent in ids(), owner in ids()) {
        let client = client();
        let (result, received) = sent(async {
            client
                .service_principals()
                .by_service_principal_id(&agent)
                .agent_identity()
                .owners()
                .by_directory_object_id(&owner)
                .ref_()
                .delete()
                .await
        });
        let refused = |v: &str| v.is_empty() || v == "." || v == "..";
        if refused(&agent) || refused(&owner) {
            prop_assert!(matches!(result, Err(Error::InvalidInput { .. })), "{:?}", result);
            prop_assert!(received.is_empty());
        } else {
            prop_assert_eq!(received.len(), 1);
            let segments = segments(&received[0]);
            prop_assert_eq!(segments.len(), 7, "{:?}", segments);
            prop_assert_eq!(percent_decode(&segments[2]), agent.as_bytes().to_vec());
            prop_assert_eq!(percent_decode(&segments[5]), owner.as_bytes().to_vec());
            prop_assert_eq!(&segments[6], "$ref");
        }
    }

    /// Arbitrary query values arrive as exactly those values, under exactly those names, on
    /// the list path.
    #[test]
    fn query_values_arrive_verbatim(filter in any::<String>(), search in any::<String>(), a in any::<String>(), b in any::<String>()) {
        let client = client();
        let (_, received) = sent(async {
            client
                .service_principals()
                .by_service_principal_id(AGENT_ID)
                .agent_identity()
                .owners()
                .get()
                .filter(filter.clone())
                .search(search.clone())
                .select([a.clone(), b.clone()])
                .await
        });
        prop_assert_eq!(received.len(), 1);
        let request = &received[0];
        prop_assert!(same_origin(request));
        prop_assert_eq!(segments(request).len(), 5);
        let pairs: Vec<(String, String)> = request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        prop_assert_eq!(names, ["$filter", "$search", "$select"]);
        let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        prop_assert_eq!(value("$filter"), Some(filter.clone()));
        prop_assert_eq!(value("$search"), Some(search.clone()));
        // Items of a list are encoded one by one, so a comma inside one cannot split it.
        let raw_select = request
            .url
            .query()
            .unwrap()
            .split('&')
            .find_map(|p| p.strip_prefix("$select="))
            .unwrap();
        let items: Vec<Vec<u8>> = raw_select.split(',').map(percent_decode).collect();
        prop_assert_eq!(items, vec![a.as_bytes().to_vec(), b.as_bytes().to_vec()]);
    }
}

/// Next links: strings a server (or an attacker able to change a page) might send.
fn links() -> impl Strategy<Value = String> {
    let port = fixture().server.address().port();
    let scheme = prop_oneof![Just("http"), Just("https"), Just("ftp"), Just("HTTP")];
    let host = prop_oneof![
        Just("127.0.0.1".to_owned()),
        Just("localhost".to_owned()),
        Just("evil.example".to_owned()),
        Just("127.0.0.1.evil.example".to_owned()),
        Just("[::1]".to_owned()),
        Just("0x7f.1".to_owned()),
    ];
    let ports = prop_oneof![
        Just(Some(port)),
        Just(Some(port.wrapping_add(1))),
        Just(None),
        Just(Some(80))
    ];
    let userinfo = prop_oneof![
        Just(""),
        Just("user@"),
        Just("user:pw@"),
        Just("127.0.0.1@")
    ];
    let path = "[a-zA-Z0-9/%?&=#.ü ]{0,24}";
    prop_oneof![
        any::<String>(),
        (scheme, userinfo, host, ports, path).prop_map(|(s, u, h, p, path)| match p {
            Some(p) => format!("{s}://{u}{h}:{p}/{path}"),
            None => format!("{s}://{u}{h}/{path}"),
        }),
        "[a-zA-Z0-9/%?&=#.: ]{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Resuming from an arbitrary next link sends one GET to the service root's own scheme,
    /// host and port, with no credentials in the URL; anything else is refused with nothing
    /// sent.
    #[test]
    fn next_links_go_home_or_nowhere(link in links()) {
        let client = client();
        let (result, received) = sent(async {
            let mut pages = client
                .service_principals()
                .by_service_principal_id(AGENT_ID)
                .agent_identity()
                .owners()
                .get()
                .resume(link.clone())
                .pages();
            pages.next().await
        });
        match received.as_slice() {
            [] => prop_assert!(
                matches!(result, Some(Err(Error::InvalidNextLink { .. }))),
                "nothing sent, so the link must have been refused: {link:?} -> {result:?}"
            ),
            [request] => {
                prop_assert!(same_origin(request), "{link:?} went to {}", request.url);
                prop_assert_eq!(request.method.as_str(), "GET");
                prop_assert!(request.url.username().is_empty() && request.url.password().is_none());
                prop_assert!(!matches!(result, Some(Err(Error::InvalidNextLink { .. }))), "{:?}", result);
            }
            more => prop_assert!(false, "{} requests for one page", more.len()),
        }
    }
}
