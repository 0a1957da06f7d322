//! The throttle governor against a throttling server on 127.0.0.1 (wiremock with a token bucket
//! for writes): a storm of 64 tasks, reads beside a write hold, cancelled waiters.
//!
//! No assertion here reads a clock: the bucket's refill is the server's business, the tests
//! count answers and waiting requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use graph_core::{CoreClient, Error, HttpMethod, RetryPolicy, StaticToken, ThrottleGovernor};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Entra's write bucket in miniature: `capacity` writes, refilled at `per_sec`. A write with no
/// token is answered 429 with a decimal `Retry-After` (the time to the next token) and the
/// write scope; a write answered while over 80 % of the bucket is used carries
/// `x-ms-throttle-limit-percentage`. Reads are always answered.
struct WriteBucket {
    capacity: f64,
    per_sec: f64,
    state: Mutex<(f64, Instant)>,
    throttled: AtomicUsize,
    writes: AtomicUsize,
    reads: AtomicUsize,
}

impl WriteBucket {
    fn new(capacity: f64, per_sec: f64) -> Arc<Self> {
        Arc::new(Self {
            capacity,
            per_sec,
            state: Mutex::new((capacity, Instant::now())),
            throttled: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
        })
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        if request.method.as_str() == "GET" {
            self.reads.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "x"}));
        }
        let mut state = self.state.lock().unwrap();
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * self.per_sec).min(self.capacity);
        if tokens >= 1.0 {
            let left = tokens - 1.0;
            *state = (left, now);
            self.writes.fetch_add(1, Ordering::SeqCst);
            let used = 1.0 - left / self.capacity;
            let mut answer = ResponseTemplate::new(204).insert_header("x-ms-resource-unit", "1");
            if used >= 0.8 {
                answer =
                    answer.insert_header("x-ms-throttle-limit-percentage", format!("{used:.2}"));
            }
            answer
        } else {
            *state = (tokens, now);
            self.throttled.fetch_add(1, Ordering::SeqCst);
            let wait = (1.0 - tokens) / self.per_sec;
            ResponseTemplate::new(429)
                .insert_header("retry-after", format!("{wait:.3}"))
                .insert_header("x-ms-throttle-scope", "Tenant_Application/Write/app/tenant")
                .insert_header("x-ms-throttle-information", "WriteLimitExceeded")
                .set_body_json(serde_json::json!({
                    "error": {"code": "TooManyRequests", "message": "Please retry again later."}
                }))
        }
    }
}

async fn server_with(bucket: &Arc<WriteBucket>) -> MockServer {
    let server = MockServer::start().await;
    let bucket = Arc::clone(bucket);
    Mock::given(wiremock::matchers::any())
        .respond_with(move |request: &Request| bucket.answer(request))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, governor: ThrottleGovernor, retries: u32) -> CoreClient {
    CoreClient::builder(StaticToken::new("token"))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(RetryPolicy {
            max_retries: retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_secs(60),
            ..RetryPolicy::default()
        })
        .throttle_governor(governor)
        .build()
        .unwrap()
}

async fn add_owner(client: &CoreClient, group: usize) -> Result<(), Error> {
    client
        .raw::<()>(
            HttpMethod::Post,
            "/groups/{}/owners/$ref",
            [format!("group-{group}")],
        )
        .json_body(&serde_json::json!({"@odata.id": "https://graph.microsoft.com/beta/users/u"}))
        .await
}

async fn read(client: &CoreClient) -> Result<serde_json::Value, Error> {
    client
        .raw::<serde_json::Value>(HttpMethod::Get, "/users/{}", ["u"])
        .await
}

/// Runs 64 tasks of `per_task` writes each; returns (successes, failures).
async fn storm(client: &CoreClient, per_task: usize) -> (usize, usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..64 {
        let client = client.clone();
        tasks.spawn(async move {
            let mut outcome = (0, 0);
            for i in 0..per_task {
                match add_owner(&client, t * per_task + i).await {
                    Ok(()) => outcome.0 += 1,
                    Err(_) => outcome.1 += 1,
                }
            }
            outcome
        });
    }
    let mut total = (0, 0);
    // A hang guard, not a timing assertion.
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(done) = tasks.join_next().await {
            let (ok, failed) = done.expect("no task panics");
            total.0 += ok;
            total.1 += failed;
        }
    })
    .await
    .expect("every task finishes");
    total
}

/// A bulk job that has reached the write limit (the bucket, 8 writes refilled at 200 per
/// second, is empty and one write has met its 429) goes on with 64 tasks: with the governor (on
/// by default) far fewer 429s than tasks and no failure; without it, the same storm as a
/// comparison (its figures are printed, and it meets many more 429s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_64_tasks_meets_few_429s_and_every_task_finishes() {
    const PER_TASK: usize = 3;
    let governed = WriteBucket::new(8.0, 200.0);
    let server = server_with(&governed).await;
    let client = client(&server, ThrottleGovernor::default(), 20);
    drain(&client, &governed).await;
    let (ok, failed) = storm(&client, PER_TASK).await;
    let governed_429s = governed.throttled.load(Ordering::SeqCst);
    let state = client.throttle_state();
    println!("governed: {ok} ok, {failed} failed, {governed_429s} answered 429, state {state:?}");
    assert_eq!((ok, failed), (64 * PER_TASK, 0), "no task starves or fails");
    assert_eq!(
        state.write.throttled as usize,
        governed_429s + 1,
        "and the drain's"
    );
    assert_eq!(state.write.waiting, 0);
    assert_eq!(state.read.throttled, 0, "a write throttle is not a read's");

    let ungoverned = WriteBucket::new(8.0, 200.0);
    let server = server_with(&ungoverned).await;
    let client = self::client(&server, ThrottleGovernor::off(), 20);
    drain(&client, &ungoverned).await;
    let (ok, failed) = storm(&client, PER_TASK).await;
    let ungoverned_429s = ungoverned.throttled.load(Ordering::SeqCst);
    println!("ungoverned: {ok} ok, {failed} failed, {ungoverned_429s} answered 429");
    assert_eq!(
        client.throttle_state().write.throttled,
        0,
        "off learns nothing"
    );

    assert!(
        governed_429s < 64 / 2,
        "{governed_429s} 429s for 64 tasks with the governor"
    );
    assert!(
        governed_429s * 4 < ungoverned_429s,
        "governed {governed_429s} vs ungoverned {ungoverned_429s}"
    );
}

/// Writes one at a time until one meets a 429 (and is retried): the job has reached the
/// limit. The count of 429s starts from zero after it.
async fn drain(client: &CoreClient, bucket: &WriteBucket) {
    let mut i = 0;
    while bucket.throttled.load(Ordering::SeqCst) == 0 {
        add_owner(client, 1_000_000 + i).await.unwrap();
        i += 1;
    }
    bucket.throttled.store(0, Ordering::SeqCst);
}

/// A 429 with a long `Retry-After` and the write scope holds writes (they wait, counted) but
/// not reads; dropping the waiting writes takes them off the count, half first, then the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_pass_a_write_hold_and_cancelled_writers_leave_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30.5")
                .insert_header("x-ms-throttle-scope", "Tenant_Application/Write/app/tenant"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "u"})))
        .mount(&server)
        .await;
    let client = client(&server, ThrottleGovernor::default(), 0);

    let err = add_owner(&client, 0).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    let state = client.throttle_state();
    assert!(state.write.held_until.is_some(), "{state:?}");
    assert_eq!(state.write.throttled, 1);
    assert!(state.read.held_until.is_none() && state.read.spacing.is_zero());

    // Reads go straight through (a hang guard only: a held read would wait 30 s).
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(20), read(&client))
            .await
            .expect("a read is not held by a write throttle")
            .unwrap();
    }

    // 64 writers wait for the hold; none reaches the server.
    let before = server.received_requests().await.unwrap().len();
    let mut writers: Vec<_> = (0..64)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { add_owner(&client, i).await })
        })
        .collect();
    wait_for_waiting(&client, 64).await;
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // Cancel half, then the rest: the count follows, back to zero.
    for writer in writers.drain(..32) {
        writer.abort();
        let _ = writer.await;
    }
    wait_for_waiting(&client, 32).await;
    for writer in writers.drain(..) {
        writer.abort();
        let _ = writer.await;
    }
    wait_for_waiting(&client, 0).await;
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

/// Yields until the governor counts `n` waiting writes (bounded by a hang guard).
async fn wait_for_waiting(client: &CoreClient, n: usize) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while client.throttle_state().write.waiting != n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("waiting never reached {n}: {:?}", client.throttle_state()));
}

/// With the governor off nothing waits: the second write goes to the server despite the hold
/// the first one's answer asked for.
#[tokio::test]
async fn off_sends_everything() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .mount(&server)
        .await;
    let client = client(&server, ThrottleGovernor::off(), 0);
    for i in 0..3 {
        assert_eq!(add_owner(&client, i).await.unwrap_err().status(), Some(429));
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    let state = client.throttle_state();
    assert!(!state.enabled && state.write.held_until.is_none());
}
