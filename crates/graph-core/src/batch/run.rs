//! The batch loop: send the items that may go, at most [`MAX_ITEMS`] per `POST /$batch`, judge
//! every answer with [`retry::decide`], and send again those it says to retry, after their
//! wait, until every item has its result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;
use tokio::time::Instant;

use super::split::{self, MAX_ITEMS};
use super::wire::{self, BatchBody, WireRequest, WireResponse};
use super::{Body, SharedError};
use crate::client::CoreClient;
use crate::decode::Decoder;
use crate::error::{Error, GraphError, ServiceError};
use crate::operation::{HttpMethod, OperationKind, OperationMeta};
use crate::path::RequestPath;
use crate::request::Request;
use crate::retry::{self, Decision, History, Outcome, RetryPolicy};
use crate::throttle::ThrottleClass;

/// The batch request itself, as the send loop names it.
static BATCH_OPERATION: OperationMeta = OperationMeta {
    operation_id: "$batch",
    method: HttpMethod::Post,
    path_template: "/$batch",
    permissions: None,
    national_clouds: None,
    docs_url: Some("https://learn.microsoft.com/graph/json-batching"),
    kind: OperationKind::Other,
};

/// What an item sends, checked when it was added.
struct Spec {
    method: HttpMethod,
    /// Relative to the service root, with the query.
    url: String,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    operation: &'static OperationMeta,
    policy: RetryPolicy,
    client_request_id: String,
    class: ThrottleClass,
}

/// How an item ended.
pub(crate) enum ItemResult {
    /// A 2xx answer (or, after a retried 504, the operation's own effect met again: then the
    /// status met and no body).
    Succeeded {
        status: u16,
        headers: HeaderMap,
        body: Body,
    },
    /// Its error.
    Failed(SharedError),
}

enum State {
    /// To be sent, not before this instant.
    Pending {
        not_before: Option<Instant>,
    },
    Done(ItemResult),
}

/// One item of a batch.
pub(crate) struct Item {
    id: String,
    deps: Vec<usize>,
    operation_id: &'static str,
    spec: Option<Spec>,
    pub(crate) history: History,
    state: State,
}

impl Item {
    /// The item for `request`: checked now (everything a single call checks before sending,
    /// plus what batching needs); a problem is the item's result.
    pub(crate) fn new<T: Send + 'static>(
        client: &CoreClient,
        id: String,
        deps: Vec<usize>,
        request: Request<T>,
    ) -> (Item, Decoder<T>, &'static str) {
        let decoder = request.decoder();
        let operation_id = request.operation_id();
        let (spec, state) = match spec_of(client, request) {
            Ok(spec) => (Some(spec), State::Pending { not_before: None }),
            Err(e) => (None, State::Done(ItemResult::Failed(Arc::new(e)))),
        };
        let item = Item {
            id,
            deps,
            operation_id,
            spec,
            history: History::default(),
            state,
        };
        (item, decoder, operation_id)
    }

    /// The result (an item still pending after the loop cannot be: the loop ends when none is).
    pub(crate) fn result(&self) -> &ItemResult {
        static NOT_RUN: std::sync::OnceLock<ItemResult> = std::sync::OnceLock::new();
        match &self.state {
            State::Done(result) => result,
            State::Pending { .. } => NOT_RUN.get_or_init(|| {
                ItemResult::Failed(Arc::new(Error::InvalidInput {
                    message: "the batch was not sent".to_owned(),
                }))
            }),
        }
    }

    fn is_pending(&self) -> bool {
        matches!(self.state, State::Pending { .. })
    }

    fn fail(&mut self, error: Error) {
        self.state = State::Done(ItemResult::Failed(Arc::new(error)));
    }
}

/// The item's wire form, from a request checked like a single call.
fn spec_of<T: Send + 'static>(client: &CoreClient, request: Request<T>) -> Result<Spec, Error> {
    let operation_id = request.operation_id();
    let refuse = |why: String| Error::InvalidInput {
        message: format!("{operation_id} cannot go into a batch: {why}"),
    };
    let prepared = request.prepare()?;
    if prepared.client.service_root() != client.service_root() {
        return Err(refuse(format!(
            "it was made by a client for {}, the batch's client is for {}",
            prepared.client.service_root(),
            client.service_root()
        )));
    }
    let url = relative_url(client.service_root(), &prepared.url)
        .ok_or_else(|| refuse("its URL is not under the service root".to_owned()))?;
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &prepared.headers {
        let value = value.to_str().map_err(|_| {
            refuse(format!(
                "the value of its `{name}` header is not visible ASCII, which a batch (JSON) cannot carry"
            ))
        })?;
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    let body = match &prepared.body {
        None => None,
        Some(bytes) => {
            match headers.get("content-type") {
                Some(kind) if !kind.to_ascii_lowercase().contains("json") => {
                    return Err(refuse(format!(
                        "only JSON bodies are batched, this one is `{kind}`"
                    )));
                }
                Some(_) => {}
                None => {
                    headers.insert("Content-Type".to_owned(), "application/json".to_owned());
                }
            }
            Some(
                serde_json::from_slice::<Value>(bytes)
                    .map_err(|e| refuse(format!("its body is not JSON ({e})")))?,
            )
        }
    };
    headers.insert(
        "client-request-id".to_owned(),
        prepared.client_request_id().to_owned(),
    );
    Ok(Spec {
        method: prepared.method,
        url,
        headers,
        body,
        operation: prepared.operation,
        policy: prepared.retry_policy,
        client_request_id: prepared.client_request_id().to_owned(),
        class: ThrottleClass::of(prepared.method),
    })
}

/// `url` relative to `root` (`/path?query`), or `None` when it is not under it.
fn relative_url(root: &str, url: &reqwest::Url) -> Option<String> {
    let root = reqwest::Url::parse(root).ok()?;
    if root.scheme() != url.scheme()
        || root.host_str() != url.host_str()
        || root.port_or_known_default() != url.port_or_known_default()
    {
        return None;
    }
    let rest = url.path().strip_prefix(root.path().trim_end_matches('/'))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut out = if rest.is_empty() {
        "/".to_owned()
    } else {
        rest.to_owned()
    };
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(query);
    }
    Some(out)
}

/// `error` for another item it stopped: the same error when it can be copied; for a failure
/// without an answer (transport, timeout, credential), [`Error::BatchItemNotRun`] holding it.
pub(crate) fn duplicate(error: &SharedError, item: &Item) -> Error {
    match &**error {
        Error::Service(e) => Error::Service(e.clone()),
        Error::Decode {
            operation_id,
            status,
            message,
            body_excerpt,
        } => Error::Decode {
            operation_id,
            status: *status,
            message: message.clone(),
            body_excerpt: body_excerpt.clone(),
        },
        Error::InvalidInput { message } => Error::InvalidInput {
            message: message.clone(),
        },
        Error::InvalidNextLink {
            operation_id,
            reason,
        } => Error::InvalidNextLink {
            operation_id,
            reason: reason.clone(),
        },
        Error::NotAvailableInCloud {
            operation_id,
            cloud,
            available,
        } => Error::NotAvailableInCloud {
            operation_id,
            cloud: *cloud,
            available,
        },
        Error::Config { message } => Error::Config {
            message: message.clone(),
        },
        Error::BatchItemNotRun {
            operation_id,
            id,
            reason,
            source,
        } => Error::BatchItemNotRun {
            operation_id,
            id: id.clone(),
            reason: reason.clone(),
            source: Arc::clone(source),
        },
        Error::Transport { .. } | Error::Timeout { .. } | Error::Credential(_) => {
            Error::BatchItemNotRun {
                operation_id: item.operation_id,
                id: item.id.clone(),
                reason: format!("the batch request carrying it failed: {error}"),
                source: Arc::clone(error),
            }
        }
    }
}

/// The loop over a batch's items.
pub(crate) struct Runner {
    client: CoreClient,
    pub(crate) items: Vec<Item>,
    pub(crate) http_requests: u32,
    pub(crate) unexpected_ids: Vec<String>,
    /// How many batch requests may be in flight at once.
    concurrency: usize,
}

impl Runner {
    pub(crate) fn new(client: CoreClient, items: Vec<Item>, concurrency: usize) -> Self {
        Self {
            client,
            items,
            concurrency: concurrency.max(1),
            http_requests: 0,
            unexpected_ids: Vec::new(),
        }
    }

    /// Until every item has its result: a batch request of the items that may go now, or a
    /// wait for the first retry that is due.
    pub(crate) async fn run(&mut self) {
        loop {
            let now = Instant::now();
            let (ready, wake) = self.ready(now);
            if !ready.is_empty() {
                self.send_wave(ready).await;
                continue;
            }
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => {
                    // Nothing pending can go and nothing waits: every item is done (a pending
                    // item's first dependency still pending is always ready or waiting).
                    for item in self.items.iter_mut().filter(|i| i.is_pending()) {
                        item.fail(Error::InvalidInput {
                            message: format!("batch item {} could not be scheduled", item.id),
                        });
                    }
                    return;
                }
            }
        }
    }

    /// The items that may go now (ascending), and when the first waiting one may. An item whose
    /// dependency failed fails here, unsent.
    fn ready(&mut self, now: Instant) -> (Vec<usize>, Option<Instant>) {
        let mut ready = Vec::new();
        let mut is_ready = vec![false; self.items.len()];
        let mut wake: Option<Instant> = None;
        for i in 0..self.items.len() {
            let State::Pending { not_before } = self.items[i].state else {
                continue;
            };
            let mut deps_go = true;
            let mut failed = None;
            for &d in &self.items[i].deps {
                match &self.items[d].state {
                    State::Done(ItemResult::Succeeded { .. }) => {}
                    State::Done(ItemResult::Failed(e)) => {
                        failed = Some((d, Arc::clone(e)));
                        break;
                    }
                    State::Pending { .. } => deps_go &= is_ready[d],
                }
            }
            if let Some((d, source)) = failed {
                let item = &self.items[i];
                let error = Error::BatchItemNotRun {
                    operation_id: item.operation_id,
                    id: item.id.clone(),
                    reason: format!(
                        "item {} it depends on, sent in an earlier batch request, failed",
                        self.items[d].id
                    ),
                    source,
                };
                self.items[i].fail(error);
                continue;
            }
            if let Some(at) = not_before.filter(|at| *at > now) {
                wake = Some(wake.map_or(at, |w| w.min(at)));
                continue;
            }
            if deps_go {
                is_ready[i] = true;
                ready.push(i);
            }
        }
        (ready, wake)
    }

    /// The chunks of the next wave: up to `concurrency` requests sent together, none holding an
    /// item that depends on an item of another (such an item waits for the next wave). While
    /// the governor holds or paces the class of any ready item, the service is near a limit:
    /// one request goes at a time, so its answer steers the governor before the next 20 items
    /// are sent instead of `concurrency` × 20 meeting an empty bucket together.
    fn wave(&self, ready: Vec<usize>) -> Vec<Vec<usize>> {
        let deps = |i: usize| self.items[i].deps.as_slice();
        let throttle = &self.client.inner.throttle;
        let near_a_limit = ready.iter().any(|&i| {
            self.items[i]
                .spec
                .as_ref()
                .is_some_and(|spec| throttle.is_active(spec.class))
        });
        let concurrency = if near_a_limit { 1 } else { self.concurrency };
        let mut remaining = ready;
        let mut chunks: Vec<Vec<usize>> = Vec::new();
        while chunks.len() < concurrency && !remaining.is_empty() {
            let chunk = split::next_chunk(&remaining, deps, MAX_ITEMS);
            let taken: HashSet<usize> = chunk.iter().copied().collect();
            let mut kept: HashSet<usize> = HashSet::new();
            remaining.retain(|&i| {
                let keep = !taken.contains(&i)
                    && deps(i)
                        .iter()
                        .all(|d| !self.items[*d].is_pending() || kept.contains(d));
                if keep {
                    kept.insert(i);
                }
                keep
            });
            chunks.push(chunk);
        }
        chunks
    }

    /// One wave: its chunks sent together, each a `POST /$batch` through the send loop, then
    /// what follows for each item.
    async fn send_wave(&mut self, ready: Vec<usize>) {
        let chunks = self.wave(ready);
        // Every item is one request to Entra's limits: each takes its own slot from the
        // governor (which is idle, one atomic load, unless its class is held or paced).
        let governor = &self.client.inner.throttle;
        for &i in chunks.iter().flatten() {
            if let Some(spec) = &self.items[i].spec {
                governor.admit(spec.class).await;
            }
        }
        let requests: Vec<_> = chunks
            .iter()
            .map(|chunk| self.batch_request(chunk).send())
            .collect();
        self.http_requests += u32::try_from(requests.len()).unwrap_or(u32::MAX);
        let answers = futures_util::future::join_all(requests).await;
        let now = Instant::now();
        for (chunk, answer) in chunks.iter().zip(answers) {
            self.conclude(chunk, answer, now);
        }
    }

    /// The `POST /$batch` of `chunk`. A 504 of it is not retried by the send loop: it reaches
    /// every item as its own 504, for the items' retry decisions (a reference add that then
    /// meets "already exist" is done).
    fn batch_request(&self, chunk: &[usize]) -> Request<wire::BatchAnswer> {
        let in_chunk: HashSet<usize> = chunk.iter().copied().collect();
        let requests = chunk
            .iter()
            .filter_map(|&i| {
                let item = &self.items[i];
                let spec = item.spec.as_ref()?;
                Some(WireRequest {
                    id: &item.id,
                    method: spec.method.as_str(),
                    url: &spec.url,
                    headers: &spec.headers,
                    body: spec.body.as_ref(),
                    depends_on: item
                        .deps
                        .iter()
                        .filter(|d| in_chunk.contains(d))
                        .map(|&d| self.items[d].id.as_str())
                        .collect(),
                })
            })
            .collect();
        tracing::debug!(
            items = chunk.len(),
            retried = chunk
                .iter()
                .filter(|&&i| self.items[i].history.attempts > 0)
                .count(),
            "sending a batch request"
        );
        self.client
            .request(
                &BATCH_OPERATION,
                RequestPath::new().literal("$batch"),
                wire::decode_answer,
            )
            .retry_policy(RetryPolicy {
                retry_post_after_gateway_timeout: false,
                ..self.client.inner.retry_policy
            })
            .json_body(&BatchBody { requests })
    }

    /// What follows the answer (or the failure) of `chunk`'s request for each of its items.
    fn conclude(
        &mut self,
        chunk: &[usize],
        answer: Result<wire::BatchAnswer, Error>,
        now: Instant,
    ) {
        let answer = match answer {
            Ok(answer) => answer,
            Err(Error::Service(outer)) if outer.status == 504 => {
                tracing::debug!(
                    items = chunk.len(),
                    "the batch request timed out at the gateway (504): each item judges it as its own"
                );
                let body = Body::from(outer.raw_body.into_bytes());
                for &i in chunk {
                    self.judge(i, 504, outer.headers.clone(), body.clone(), now);
                }
                return;
            }
            Err(e) => {
                let shared = Arc::new(e);
                for &i in chunk {
                    self.items[i].history.attempts += 1;
                    self.items[i].state = State::Done(ItemResult::Failed(Arc::clone(&shared)));
                }
                return;
            }
        };
        if answer.next_link.is_some() {
            tracing::warn!(
                "the $batch answer has an @odata.nextLink, which is not followed: items it does not answer fail"
            );
        }
        let position: HashMap<&str, usize> = chunk
            .iter()
            .map(|&i| (self.items[i].id.as_str(), i))
            .collect();
        let mut answered: HashMap<usize, WireResponse> = HashMap::new();
        for response in answer.responses {
            match position.get(response.id.as_str()) {
                Some(&i) if !answered.contains_key(&i) => {
                    answered.insert(i, response);
                }
                _ => {
                    tracing::warn!(id = %response.id, "the $batch answer has a response for no item sent (or a second one): ignored");
                    self.unexpected_ids.push(response.id);
                }
            }
        }
        // Items answered 424 whose dependency goes again: judged after the others.
        let mut failed_dependency = Vec::new();
        for &i in chunk {
            match answered.remove(&i) {
                Some(response) if response.status == 424 && !self.items[i].deps.is_empty() => {
                    failed_dependency.push((i, response));
                }
                Some(response) => self.judge_response(i, &response, now),
                None => {
                    let item = &mut self.items[i];
                    item.history.attempts += 1;
                    let error = Error::Decode {
                        operation_id: item.operation_id,
                        status: 200,
                        message: format!("the $batch answer has no response for item {}", item.id),
                        body_excerpt: String::new(),
                    };
                    item.fail(error);
                }
            }
        }
        for (i, response) in failed_dependency {
            let dependency_goes_again = self.items[i]
                .deps
                .iter()
                .any(|&d| self.items[d].is_pending());
            if dependency_goes_again {
                // Not carried out: it goes with its dependency, without using its retries.
                self.items[i].state = State::Pending { not_before: None };
            } else {
                self.judge_response(i, &response, now);
            }
        }
    }

    /// An item's answer in a batch answer, through the retry decision.
    fn judge_response(&mut self, i: usize, response: &WireResponse, now: Instant) {
        let headers = response.header_map();
        let body = response.body_bytes(&headers);
        self.judge(i, response.status, headers, body, now);
    }

    /// An item's answer (status, headers, body), through the retry decision.
    fn judge(&mut self, i: usize, status: u16, headers: HeaderMap, body: Body, now: Instant) {
        let item = &mut self.items[i];
        let Some(spec) = &item.spec else {
            return;
        };
        self.client
            .inner
            .throttle
            .observe(spec.class, status, &headers);
        if (200..300).contains(&status) {
            let outcome = Outcome::Success;
            let decision = retry::decide(
                &spec.policy,
                spec.method,
                spec.operation.kind,
                &item.history,
                &outcome,
            );
            if decision
                == (Decision::Succeed {
                    after_gateway_timeout: true,
                })
            {
                tracing::warn!(
                    id = %item.id,
                    operation_id = item.operation_id,
                    "batch item succeeded after an earlier attempt timed out at the gateway; that attempt may also have been applied"
                );
            }
            item.history.record(&outcome, &decision);
            item.state = State::Done(ItemResult::Succeeded {
                status,
                headers,
                body,
            });
            return;
        }
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let graph_error = GraphError::from_body(&body);
        let outcome = Outcome::Status {
            status,
            retry_after,
            claims: None,
            error: graph_error.as_ref(),
        };
        let decision = retry::decide(
            &spec.policy,
            spec.method,
            spec.operation.kind,
            &item.history,
            &outcome,
        );
        item.history.record(&outcome, &decision);
        match decision {
            Decision::Retry { after } => {
                tracing::debug!(
                    id = %item.id,
                    status,
                    retry = item.history.retries,
                    delay_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    "retrying a batch item in a later batch request"
                );
                item.state = State::Pending {
                    not_before: Some(now + after),
                };
            }
            Decision::AlreadyApplied { status } => {
                tracing::warn!(
                    id = %item.id,
                    status,
                    earlier_attempts = ?item.history.earlier_statuses,
                    "an earlier attempt of a batch item timed out at the gateway (504) but was applied: the service now reports the operation's own effect"
                );
                item.state = State::Done(ItemResult::Succeeded {
                    status,
                    headers,
                    body: Body::new(),
                });
            }
            Decision::Succeed { .. } | Decision::RetryWithClaims(_) | Decision::GiveUp(_) => {
                if let Decision::GiveUp(reason) = decision {
                    tracing::debug!(id = %item.id, status, reason = reason.as_str(), "not retrying a batch item");
                }
                let error = ServiceError {
                    status,
                    operation_id: item.operation_id,
                    error: graph_error,
                    raw_body: String::from_utf8_lossy(&body).into_owned(),
                    headers,
                    retry_after,
                    client_request_id: spec.client_request_id.clone(),
                    required_permissions: spec.operation.permissions,
                    method: spec.method,
                    attempts: item.history.attempts,
                    earlier_attempts: item.history.earlier_statuses.clone(),
                };
                item.fail(Error::Service(Box::new(error)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_made_relative_to_the_service_root() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        let root = "http://127.0.0.1:8080/beta";
        assert_eq!(
            relative_url(root, &url("http://127.0.0.1:8080/beta/servicePrincipals/a%2Fb/owners?$select=id,displayName")).as_deref(),
            Some("/servicePrincipals/a%2Fb/owners?$select=id,displayName")
        );
        assert_eq!(
            relative_url(
                "https://graph.microsoft.com/beta/",
                &url("https://GRAPH.microsoft.com:443/beta/users")
            )
            .as_deref(),
            Some("/users")
        );
        for other in [
            "http://127.0.0.1:8081/beta/users",
            "https://127.0.0.1:8080/beta/users",
            "http://127.0.0.1:8080/betas/users",
            "http://127.0.0.1:8080/v1.0/users",
        ] {
            assert_eq!(relative_url(root, &url(other)), None, "{other}");
        }
    }
}
