//! JSON batching: many calls in one `POST /$batch`, each with its own typed result.
//!
//! Any request the SDK can send goes into a [`Batch`]: a generated operation's request
//! (`.into_request()` gives its [`Request`]), a raw call ([`CoreClient::raw`]), or the first page
//! of a pageable one ([`PagedRequest`], whose later pages are not fetched: the item's result is
//! the first [`Page`], and its `next_link` can be followed with
//! [`PagedRequest::resume`]). Adding one gives a typed handle, a [`BatchItem<T>`]; after
//! [`Batch::send`], [`BatchResults::get`] decodes that item's answer with the request's own
//! decoder and returns what the single call would have: the value, or the same [`Error`] (a
//! failed item is [`Error::Service`] with its status, Graph error and headers).
//!
//! ```no_run
//! use graph_core::{CoreClient, HttpMethod, StaticToken};
//!
//! # async fn run() -> Result<(), graph_core::Error> {
//! let client = CoreClient::new(StaticToken::new("eyJ..."));
//! let mut batch = client.batch();
//! let owner = client.entity_url("directoryObjects", "1511d5e7-c324-4362-ad4b-16c20076e5aa")?;
//! let add = batch.add(
//!     client
//!         .raw::<()>(HttpMethod::Post, "/groups/{}/owners/$ref", ["group-id"])
//!         .json_body(&serde_json::json!({ "@odata.id": owner })),
//! )?;
//! // Sent after the add, in the same batch request (`dependsOn`).
//! let owners = batch.add_after(
//!     client.raw_paged::<serde_json::Value>("/groups/{}/owners", ["group-id"]),
//!     &[add.id()],
//! )?;
//! let results = batch.send().await?;
//! results.get(&add)?;
//! let page = results.get(&owners)?;
//! # let _ = page; Ok(())
//! # }
//! ```
//!
//! # On the wire
//!
//! Each item is `{"id","method","url","headers","body","dependsOn"}` with the URL relative to
//! the service root (`/servicePrincipals/{id}/owners/$ref?$select=id`), the caller's headers and
//! its `client-request-id`, `Content-Type: application/json` with a body, and the JSON body as
//! JSON. Only JSON bodies can be batched; an item with another body fails on its own.
//!
//! # Splitting and `dependsOn`
//!
//! A batch of any size is sent as requests of at most [`MAX_ITEMS`] (20) items, one at a time
//! by default ([`Batch::concurrency`] sends several together). Items linked by `dependsOn`
//! travel in one request when they fit in one (Graph only honours `dependsOn` within a
//! request); a longer chain is cut in the order the items were added, and an item whose
//! dependency went in an earlier request is sent only after that one succeeded, never in a
//! request running beside it. If a dependency fails for good, the item is answered by the
//! service with `424 Failed Dependency` (same request) or not sent at all
//! ([`Error::BatchItemNotRun`], earlier request).
//!
//! # Retries
//!
//! Every item is judged by [`retry::decide`](crate::retry::decide), like a single call, with
//! its own history and its request's retry policy: an item answered 429, 503 or 504 inside a
//! 200 batch answer is sent again in a later batch request after its own `Retry-After` (item
//! headers) or the policy's backoff, while its siblings' results stand; after a retried 504, a
//! reference add meeting "already exist" (or a remove meeting 404) counts as done. Items that
//! failed only because a retried dependency had not run (424) go again with it, without using
//! their retries.
//!
//! The batch request itself goes through the normal send loop (credential, retries of 429,
//! 503 and connection failures, tracing as operation `$batch`), except that a 504 of it is not
//! resent as a whole: each item it carried takes it as its own 504 and decides as above (so a
//! reference add whose first try may have been applied is recognised when it meets itself). If
//! the batch request finally fails otherwise, every item it carried gets that failure: the
//! same [`Error::Service`], [`Error::Decode`] (a malformed batch answer) or, for a failure
//! without an answer (transport, timeout, credential), [`Error::BatchItemNotRun`] whose source
//! is that error. An answer naming an id that was not sent is ignored and reported
//! ([`BatchResults::unexpected_ids`]); an item missing from the answer gets [`Error::Decode`]
//! (an `@odata.nextLink` in a batch answer is not followed).
//!
//! Answers that are not JSON come back as a JSON string in the batch answer: a `text/plain`
//! one is given to the decoder as that text; a binary one (base64 in the batch answer) is given
//! as its base64 text, not decoded.
//!
//! Every item takes its own slot from the client's throttle governor before its request is
//! sent (each is one request to Entra's limits), and the governor observes every item's answer.
//! While the governor holds or paces the class of a ready item, one batch request goes at a
//! time (not `concurrency`), so each answer steers it before the next 20 items are sent.

mod run;
mod split;
mod wire;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use reqwest::header::HeaderMap;

use crate::client::CoreClient;
use crate::decode::Decoder;
use crate::error::{Error, excerpt};
use crate::page::Page;
use crate::paging::PagedRequest;
use crate::request::Request;

pub use split::MAX_ITEMS;
pub use wire::BatchAnswer;

use run::{Item, ItemResult};

impl CoreClient {
    /// An empty [`Batch`] of this client's requests (see the [`batch`](crate::batch) module).
    pub fn batch(&self) -> Batch {
        Batch::new(self.clone())
    }
}

/// What can go into a batch: a [`Request`], or a [`PagedRequest`] for its first page.
/// Generated request types give theirs with `.into_request()`.
pub trait IntoBatchRequest {
    /// What the item decodes to.
    type Output: Send + 'static;

    /// The request the item sends.
    fn into_batch_request(self) -> Request<Self::Output>;
}

impl<T: Send + 'static> IntoBatchRequest for Request<T> {
    type Output = T;

    fn into_batch_request(self) -> Request<T> {
        self
    }
}

impl<T: serde::de::DeserializeOwned + Send + 'static> IntoBatchRequest for PagedRequest<T> {
    type Output = Page<T>;

    /// The first page's request (or the resumed link's): a batch does not follow next links.
    fn into_batch_request(self) -> Request<Page<T>> {
        self.into_first_request()
    }
}

/// Distinguishes batches, so that a handle is only read from its own batch's results.
static NEXT_BATCH: AtomicU64 = AtomicU64::new(1);

/// Requests to send together as JSON batches (`POST /$batch`); see the [module docs](self).
///
/// Made by [`CoreClient::batch`]. Add requests with [`add`](Self::add) and
/// [`add_after`](Self::add_after), then [`send`](Self::send) it (or `.await` it).
pub struct Batch {
    client: CoreClient,
    serial: u64,
    items: Vec<Item>,
    concurrency: usize,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

/// The id of an item in a [`Batch`], for [`Batch::add_after`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchItemId {
    batch: u64,
    index: usize,
}

/// A typed handle to an item of a [`Batch`]: its result is read with [`BatchResults::get`].
pub struct BatchItem<T> {
    id: BatchItemId,
    decoder: Decoder<T>,
    operation_id: &'static str,
    _out: PhantomData<fn() -> T>,
}

impl<T> Clone for BatchItem<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for BatchItem<T> {}

impl<T> fmt::Debug for BatchItem<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchItem")
            .field("id", &self.wire_id())
            .field("operation_id", &self.operation_id)
            .finish()
    }
}

impl<T> BatchItem<T> {
    /// The item's id, for [`Batch::add_after`].
    pub fn id(&self) -> BatchItemId {
        self.id
    }

    /// The `id` the item has on the wire (`"1"`, `"2"`, … in the order of adding).
    pub fn wire_id(&self) -> String {
        (self.id.index + 1).to_string()
    }
}

impl Batch {
    fn new(client: CoreClient) -> Self {
        Self {
            client,
            serial: NEXT_BATCH.fetch_add(1, Ordering::Relaxed),
            items: Vec::new(),
            concurrency: 1,
        }
    }

    /// How many batch requests may be in flight at once (default 1; 0 counts as 1). Requests
    /// sent together never split a `dependsOn` link between them: an item whose dependency
    /// goes in another request of the same wave waits for the next one.
    #[must_use]
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// How many items were added.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds a request. A problem with the request itself (an invalid header, a bad path
    /// parameter, a non-JSON body, another client's service root) is not an error here: it
    /// becomes that item's result, and the item is not sent.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for refusing an item without sending anything.
    pub fn add<R: IntoBatchRequest>(&mut self, request: R) -> Result<BatchItem<R::Output>, Error> {
        self.add_after(request, &[])
    }

    /// Adds a request that runs only after `after` (items of this batch) succeeded: Graph's
    /// `dependsOn`. If one of them fails, this one is answered `424 Failed Dependency` (or not
    /// sent, see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when an id in `after` belongs to another batch.
    pub fn add_after<R: IntoBatchRequest>(
        &mut self,
        request: R,
        after: &[BatchItemId],
    ) -> Result<BatchItem<R::Output>, Error> {
        if let Some(foreign) = after.iter().find(|id| id.batch != self.serial) {
            return Err(Error::InvalidInput {
                message: format!(
                    "batch item {} named in dependsOn belongs to another batch",
                    foreign.index + 1
                ),
            });
        }
        let mut deps: Vec<usize> = after.iter().map(|id| id.index).collect();
        deps.sort_unstable();
        deps.dedup();
        let request = request.into_batch_request();
        let index = self.items.len();
        let id = (index + 1).to_string();
        let (item, decoder, operation_id) = Item::new(&self.client, id, deps, request);
        self.items.push(item);
        Ok(BatchItem {
            id: BatchItemId {
                batch: self.serial,
                index,
            },
            decoder,
            operation_id,
            _out: PhantomData,
        })
    }

    /// Sends every item (as many batch requests as needed, retried items in later ones) and
    /// returns their results.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the client cannot send at all (its HTTP client could not be built);
    /// anything else is an item's result.
    pub fn send(self) -> impl Future<Output = Result<BatchResults, Error>> + Send + 'static {
        let Batch {
            client,
            serial,
            items,
            concurrency,
        } = self;
        async move {
            if let Err(message) = &client.inner.http {
                return Err(Error::Config {
                    message: message.clone(),
                });
            }
            let mut runner = run::Runner::new(client, items, concurrency);
            runner.run().await;
            Ok(BatchResults {
                serial,
                http_requests: runner.http_requests,
                unexpected_ids: runner.unexpected_ids,
                items: runner.items,
            })
        }
    }
}

impl IntoFuture for Batch {
    type Output = Result<BatchResults, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<BatchResults, Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The results of a sent [`Batch`], read per item with [`get`](Self::get).
pub struct BatchResults {
    serial: u64,
    http_requests: u32,
    unexpected_ids: Vec<String>,
    items: Vec<Item>,
}

impl fmt::Debug for BatchResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchResults")
            .field("items", &self.items.len())
            .field("http_requests", &self.http_requests)
            .field("unexpected_ids", &self.unexpected_ids)
            .finish_non_exhaustive()
    }
}

/// How much of an undecodable item body [`Error::Decode`] keeps.
const BODY_EXCERPT_CHARS: usize = 512;

impl BatchResults {
    /// The item's result, decoded with its request's decoder: what the single call would have
    /// returned. Each call decodes again.
    pub fn get<T>(&self, item: &BatchItem<T>) -> Result<T, Error> {
        let found = self.item(item.id)?;
        match found.result() {
            ItemResult::Succeeded { status, body, .. } => {
                (item.decoder)(body).map_err(|e| Error::Decode {
                    operation_id: item.operation_id,
                    status: *status,
                    message: e.message().to_owned(),
                    body_excerpt: excerpt(&String::from_utf8_lossy(body), BODY_EXCERPT_CHARS),
                })
            }
            ItemResult::Failed(error) => Err(run::duplicate(error, found)),
        }
    }

    /// The status and headers of the item's answer (the last one, after retries), when it
    /// succeeded; `None` for a failed item (its [`Error`] has them) or one of another batch.
    pub fn response<T>(&self, item: &BatchItem<T>) -> Option<(u16, &HeaderMap)> {
        match self.item(item.id).ok()?.result() {
            ItemResult::Succeeded {
                status, headers, ..
            } => Some((*status, headers)),
            ItemResult::Failed(_) => None,
        }
    }

    /// How many times the item was sent (1 unless it was retried; 0 if it was never sent).
    pub fn attempts(&self, item: BatchItemId) -> u32 {
        self.item(item).map_or(0, |i| i.history.attempts)
    }

    /// How many `POST /$batch` requests were made (each counted once, whatever the send loop
    /// retried).
    pub fn http_requests(&self) -> u32 {
        self.http_requests
    }

    /// Ids in the answers that name no item sent in that request (ignored), or answer one twice.
    pub fn unexpected_ids(&self) -> &[String] {
        &self.unexpected_ids
    }

    /// How many items the batch had.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch had no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn item(&self, id: BatchItemId) -> Result<&Item, Error> {
        if id.batch != self.serial {
            return Err(Error::InvalidInput {
                message: format!("batch item {} belongs to another batch", id.index + 1),
            });
        }
        self.items.get(id.index).ok_or_else(|| Error::InvalidInput {
            message: format!("batch item {} is not in this batch", id.index + 1),
        })
    }
}

/// A successful answer's body, kept for decoding on [`BatchResults::get`].
pub(crate) type Body = Bytes;

/// A failure shared by the items it stopped.
pub(crate) type SharedError = Arc<Error>;
