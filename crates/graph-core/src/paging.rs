//! Paging: a collection answered in pages, each linking the next by `@odata.nextLink`.
//!
//! A pageable operation's builder returns a [`PagedRequest`]. Awaiting it gives the first
//! [`Page`]; [`PagedRequest::items`] streams every item across pages and [`PagedRequest::pages`]
//! every page, fetching the next page only when the stream is polled past the current one, so
//! one page is held in memory at a time. [`PagedRequest::resume`] starts from a next link
//! stored earlier.
//!
//! Every page after the first is its own request to the page's next link, used verbatim (its
//! `$skiptoken` is never decoded or re-encoded): with the first request's extra headers
//! (`ConsistencyLevel`, `Prefer`, …) and retry policy, a fresh `client-request-id`, its own
//! retries, and its own `graph.request` tracing span. A next link must have the scheme, host and
//! port of the client's service root; any other is refused with [`Error::InvalidNextLink`]
//! before anything is sent, so the token never goes to another host. An error on any page is
//! yielded by the stream, which then ends.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::stream::FusedStream;
use futures_util::StreamExt;
use futures_util::future::Either;
use futures_util::stream::Fuse;
use serde::de::DeserializeOwned;

use crate::client::CoreClient;
use crate::decode::Decoder;
use crate::error::Error;
use crate::operation::OperationMeta;
use crate::page::Page;
use crate::path::RequestPath;
use crate::request::{Replay, Request};
use crate::response::ResponseInfo;
use crate::retry::RetryPolicy;
use crate::throttle::ThrottlePriority;

/// One page's request, boxed (it is large next to the other states of a stream).
type FirstRequest<T> = Box<Request<Page<T>>>;

impl CoreClient {
    /// Starts a request for a pageable `operation` (see [`PagedRequest`](crate::PagedRequest)): awaiting it gives
    /// the first page; its streams follow `@odata.nextLink`.
    pub fn paged<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static OperationMeta,
        path: RequestPath,
        decoder: Decoder<Page<T>>,
    ) -> PagedRequest<T> {
        PagedRequest::new(self.clone(), operation, path, decoder)
    }
}

/// A request for a pageable operation.
///
/// Awaiting it gives the first [`Page`]; [`items`](Self::items) streams every item across
/// pages and [`pages`](Self::pages) every page, each next page fetched only when the stream
/// is polled past the current one (one page in memory at a time). Every page after the first
/// is its own request to the previous page's `@odata.nextLink`, used verbatim, with this
/// request's headers and retry policy and a fresh `client-request-id`. A next link whose
/// scheme, host or port differs from the client's service root is refused with
/// [`Error::InvalidNextLink`] before anything is sent. An error on any page is yielded, and
/// the stream ends.
#[must_use = "a request does nothing until it is awaited or streamed"]
pub struct PagedRequest<T> {
    first: Request<Page<T>>,
    resume_from: Option<String>,
}

impl<T> fmt::Debug for PagedRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagedRequest")
            .field("first", &self.first)
            .field("resumes", &self.resume_from.is_some())
            .finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> PagedRequest<T> {
    pub(crate) fn new(
        client: CoreClient,
        operation: &'static crate::OperationMeta,
        path: crate::RequestPath,
        decoder: Decoder<Page<T>>,
    ) -> Self {
        Self {
            first: Request::new(client, operation, path, decoder),
            resume_from: None,
        }
    }

    /// A paged request whose first page is `first`.
    pub(crate) fn from_first(first: Request<Page<T>>) -> Self {
        Self {
            first,
            resume_from: None,
        }
    }

    /// Adds a request header, sent with every page (see [`Request::header`]).
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        Self {
            first: self.first.header(name, value),
            ..self
        }
    }

    /// Sets the JSON body of the first request (a pageable action); next pages are GETs of
    /// their links and carry no body.
    pub fn json_body<B: serde::Serialize + ?Sized>(self, body: &B) -> Self {
        Self {
            first: self.first.json_body(body),
            ..self
        }
    }

    /// Sets a raw body of the first request (see [`Request::bytes_body`]).
    pub fn bytes_body(self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            first: self.first.bytes_body(content_type, bytes),
            ..self
        }
    }

    /// Adds a query option to the first page (the next links carry it on).
    pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            first: self.first.query(name, value),
            ..self
        }
    }

    /// Adds a comma-separated query option to the first page (see [`Request::query_list`]).
    pub fn query_list<I, S>(self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            first: self.first.query_list(name, values),
            ..self
        }
    }

    /// Overrides the client's retry policy for every page.
    pub fn retry_policy(self, policy: RetryPolicy) -> Self {
        Self {
            first: self.first.retry_policy(policy),
            ..self
        }
    }

    /// Sends `x-ms-throttle-priority` with every page (see [`Request::throttle_priority`]).
    pub fn throttle_priority(self, priority: ThrottlePriority) -> Self {
        Self {
            first: self.first.throttle_priority(priority),
            ..self
        }
    }

    /// Starts from `next_link` (a [`Page::next_link`] stored earlier) instead of the first
    /// page. The link is checked like every next link when the request is sent.
    pub fn resume(self, next_link: impl Into<String>) -> Self {
        Self {
            resume_from: Some(next_link.into()),
            ..self
        }
    }

    /// The request the stream starts with (the first page, or the resumed link), and what
    /// the pages after it repeat.
    fn start(self) -> (Result<FirstRequest<T>, Error>, Replay<Page<T>>) {
        let replay = self.first.replay();
        let start = match self.resume_from {
            Some(link) => resumed(&replay, self.first, &link),
            None => Ok(self.first),
        };
        (start.map(Box::new), replay)
    }

    /// The request of the first page (or of the resumed link), as a batch item sends it; a
    /// problem with the link is that request's error.
    pub(crate) fn into_first_request(self) -> Request<Page<T>> {
        let Some(link) = self.resume_from else {
            return self.first;
        };
        let mut first = self.first;
        if let Some(e) = first.take_error() {
            return first.with_error(e);
        }
        match first.replay().request(&link) {
            Ok(request) => request,
            Err(e) => first.with_error(e),
        }
    }

    /// Sends the first request (or the resumed link) and returns its page.
    ///
    /// Like [`Request::send`], the request is validated before the future is first polled.
    pub fn send(self) -> impl Future<Output = Result<Page<T>, Error>> + Send + 'static {
        let request = match self.resume_from {
            None => self.first,
            Some(link) => match resumed(&self.first.replay(), self.first, &link) {
                Ok(request) => request,
                Err(e) => return Either::Left(std::future::ready(Err(e))),
            },
        };
        Either::Right(request.send())
    }

    /// Like [`send`](Self::send), and also returns the first answer's status and headers (see
    /// [`Request::send_with_response`]).
    pub fn send_with_response(
        self,
    ) -> impl Future<Output = Result<(Page<T>, ResponseInfo), Error>> + Send + 'static {
        let request = match self.resume_from {
            None => self.first,
            Some(link) => match resumed(&self.first.replay(), self.first, &link) {
                Ok(request) => request,
                Err(e) => return Either::Left(std::future::ready(Err(e))),
            },
        };
        Either::Right(request.send_with_response())
    }

    /// Every page, fetched lazily.
    pub fn pages(self) -> Pages<T> {
        enum PageState<T> {
            Send(FirstRequest<T>),
            Fail(Error),
            Done,
        }
        let (start, replay) = self.start();
        let replay = Arc::new(replay);
        let first = match start {
            Ok(request) => PageState::Send(request),
            Err(e) => PageState::Fail(e),
        };
        let stream = futures_util::stream::unfold(first, move |step| {
            let replay = Arc::clone(&replay);
            async move {
                match step {
                    PageState::Done => None,
                    PageState::Fail(e) => Some((Err(e), PageState::Done)),
                    PageState::Send(request) => match request.send().await {
                        Ok(page) => {
                            let next = match &page.next_link {
                                None => PageState::Done,
                                Some(link) => match replay.request(link) {
                                    Ok(request) => PageState::Send(Box::new(request)),
                                    Err(e) => PageState::Fail(e),
                                },
                            };
                            Some((Ok(page), next))
                        }
                        Err(e) => Some((Err(e), PageState::Done)),
                    },
                }
            }
        });
        Pages {
            inner: (Box::pin(stream) as BoxedStream<_>).fuse(),
        }
    }

    /// Every item across all pages, fetched lazily one page at a time.
    pub fn items(self) -> Items<T> {
        let pages = self.pages();
        let stream = futures_util::stream::unfold(
            (pages, Vec::new().into_iter()),
            |(mut pages, mut buffered)| async move {
                loop {
                    if let Some(item) = buffered.next() {
                        return Some((Ok(item), (pages, buffered)));
                    }
                    match pages.next().await {
                        Some(Ok(page)) => buffered = page.items.into_iter(),
                        Some(Err(e)) => return Some((Err(e), (pages, Vec::new().into_iter()))),
                        None => return None,
                    }
                }
            },
        );
        Items {
            inner: (Box::pin(stream) as BoxedStream<_>).fuse(),
        }
    }
}

/// The request for `link` that a resumed stream starts with, in place of `first`. `first` is not
/// sent, but a problem stored by one of its builder methods (an invalid header, say) is still the
/// caller's error.
fn resumed<T>(
    replay: &Replay<Page<T>>,
    mut first: Request<Page<T>>,
    link: &str,
) -> Result<Request<Page<T>>, Error> {
    match first.take_error() {
        Some(e) => Err(e),
        None => replay.request(link),
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for PagedRequest<T> {
    type Output = Result<Page<T>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A boxed stream of results. Fused where it is held, so a stream that has ended keeps
/// answering `None` when polled again (futures' `unfold` panics instead).
type BoxedStream<I> = Pin<Box<dyn Stream<Item = Result<I, Error>> + Send>>;

/// The pages of a [`PagedRequest`], as a [`Stream`]. Once it has ended (after the last page or
/// an error) it keeps returning `None`.
#[must_use = "streams do nothing unless polled"]
pub struct Pages<T> {
    inner: Fuse<BoxedStream<Page<T>>>,
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> FusedStream for Pages<T> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<T> Pages<T> {
    /// The next page, fetched now; `None` after the last one (or after an error).
    pub async fn next(&mut self) -> Option<Result<Page<T>, Error>> {
        self.inner.next().await
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pages")
    }
}

/// The items of a [`PagedRequest`] across all pages, as a [`Stream`]. Once it has ended (after
/// the last item or an error) it keeps returning `None`.
#[must_use = "streams do nothing unless polled"]
pub struct Items<T> {
    inner: Fuse<BoxedStream<T>>,
}

impl<T> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> FusedStream for Items<T> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<T> Items<T> {
    /// The next item, fetching the next page when the current one is used up; `None` after
    /// the last item (or after an error).
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        self.inner.next().await
    }

    /// Every remaining item, in order; the first error ends the collection.
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Items")
    }
}
