//! The `graph.request` span: its fields, and that tokens, bodies and concrete ids stay out of
//! traces. (A separate test binary, so that no other test shares the subscriber.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_core::{
    CoreClient, HttpMethod, OperationKind, OperationMeta, RequestPath, RetryPolicy, StaticToken,
    decode,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tracing-test-SECRET-token";
const SECRET_ID: &str = "hidden-object-id-42";

static ADD_OWNER: OperationMeta = OperationMeta {
    operation_id: "servicePrincipals.agentIdentity.CreateRefOwners",
    method: HttpMethod::Post,
    path_template: "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref",
    permissions: None,
    national_clouds: None,
    docs_url: None,
    kind: OperationKind::AddReference,
};

type Fields = Vec<(String, String)>;

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<(String, Fields)>>>,
    events: Arc<Mutex<Vec<Fields>>>,
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = Vec::new();
        attrs.record(&mut Visitor(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push((attrs.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let index = usize::try_from(span.into_u64() - 1).unwrap();
        values.record(&mut Visitor(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Visitor(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn get<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A server that answers `first` once, then 204 to everything.
async fn once_then_no_content(first: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// A client for `server` whose retries wait at most a second.
fn fast_client(server: &MockServer) -> CoreClient {
    CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn request_span_has_template_attempt_and_status_but_no_secrets() {
    let server =
        once_then_no_content(ResponseTemplate::new(429).insert_header("Retry-After", "0")).await;
    let client = fast_client(&server);

    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    client
        .request(
            &ADD_OWNER,
            RequestPath::new()
                .literal("servicePrincipals")
                .param("servicePrincipal-id", SECRET_ID)
                .literal("owners"),
            decode::empty,
        )
        .json_body(&serde_json::json!({ "secretBody": "body-SECRET" }))
        .await
        .unwrap();
    drop(guard);

    let spans = capture.spans.lock().unwrap().clone();
    let events = capture.events.lock().unwrap().clone();
    let requests: Vec<_> = spans
        .iter()
        .filter(|(name, _)| name == "graph.request")
        .collect();
    assert_eq!(requests.len(), 1, "{spans:?}");
    let fields = &requests[0].1;
    assert_eq!(get(fields, "operation_id"), [ADD_OWNER.operation_id]);
    assert_eq!(get(fields, "method"), ["POST"]);
    assert_eq!(get(fields, "url_template"), [ADD_OWNER.path_template]);
    assert_eq!(get(fields, "attempt"), ["1", "2"]);
    assert_eq!(get(fields, "status"), ["429", "204"]);
    assert_eq!(get(fields, "client_request_id").len(), 1);

    let retry_events: Vec<_> = events
        .iter()
        .filter(|e| get(e, "message") == ["retrying"])
        .collect();
    assert_eq!(retry_events.len(), 1, "{events:?}");
    assert_eq!(get(retry_events[0], "delay_ms"), ["0"]);
    assert_eq!(get(retry_events[0], "status"), ["429"]);

    let everything = format!("{spans:?}{events:?}");
    for secret in [TOKEN, SECRET_ID, "body-SECRET", &server.uri()] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
}

#[tokio::test]
async fn success_after_a_gateway_timeout_warns_that_the_change_may_be_doubled() {
    let server = once_then_no_content(ResponseTemplate::new(504)).await;
    let client = fast_client(&server);

    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    client
        .request(
            &ADD_OWNER,
            RequestPath::new().literal("servicePrincipals"),
            decode::empty,
        )
        .await
        .unwrap();
    drop(guard);

    let events = capture.events.lock().unwrap().clone();
    let warnings: Vec<_> = events
        .iter()
        .filter(|e| {
            get(e, "message")
                .iter()
                .any(|m| m.contains("may also have been applied"))
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{events:?}");
    assert_eq!(get(warnings[0], "attempt"), ["2"]);
}

/// The throttle governor says when it starts holding a class (a 429 with the write scope) and
/// when it lets go of it (answers well under the limits shrink its pacing to nothing).
#[tokio::test]
async fn the_governor_traces_when_it_starts_and_stops_holding() {
    let server = once_then_no_content(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "0.02")
            .insert_header("x-ms-throttle-scope", "Tenant_Application/Write/app/tenant"),
    )
    .await;
    let client = fast_client(&server);
    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    let add = || {
        client
            .request(
                &ADD_OWNER,
                RequestPath::new()
                    .literal("servicePrincipals")
                    .param("servicePrincipal-id", "sp")
                    .literal("owners"),
                decode::empty,
            )
            .json_body(&serde_json::json!({}))
    };
    add().await.unwrap();
    assert_eq!(client.throttle_state().write.throttled, 1);
    // Successes without a limit percentage shrink the pacing until it stops.
    let mut sent = 0;
    while client.throttle_state().write.spacing > Duration::ZERO {
        add().await.unwrap();
        sent += 1;
        assert!(
            sent < 500,
            "the pacing never stops: {:?}",
            client.throttle_state()
        );
    }
    drop(guard);

    let events = capture.events.lock().unwrap();
    let messages: Vec<(&str, Vec<&str>)> = events
        .iter()
        .filter_map(|fields| {
            let message = get(fields, "message").first().copied()?;
            message
                .starts_with("throttle governor")
                .then(|| (message, get(fields, "class")))
        })
        .collect();
    assert_eq!(
        messages,
        [
            ("throttle governor: holding", vec!["write"]),
            ("throttle governor: released", vec!["write"]),
        ]
    );
}
