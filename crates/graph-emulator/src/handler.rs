//! The HTTP entry point: reads a request, answers it — `POST /beta/$batch` through
//! [`crate::batch`], anything else through [`pipeline::answer`] — and logs it.

use std::sync::Arc;

use axum::extract::{Request, State as AxumState};
use axum::http::{Method, StatusCode, request::Parts};
use axum::response::Response;
use percent_encoding::percent_decode_str;

use crate::log::RecordedRequest;
use crate::pipeline::{self, Shared};
use crate::response::graph_error;

/// The largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Answers one request received over HTTP and logs it.
pub(crate) async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    let mut ctx = pipeline::context(&shared, &parts.headers);
    let mut record = RecordedRequest::of(&parts, body.as_deref().unwrap_or_default());
    let response = match body {
        Ok(_) if is_batch(&parts) => crate::batch::serve(&shared, &parts, &record.body, &ctx).await,
        Ok(_) => {
            pipeline::answer(
                &shared,
                &parts,
                &record.body,
                &mut ctx,
                &mut record.operation_id,
            )
            .await
        }
        Err(_) => graph_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BadRequest",
            format!(
                "The request body is larger than the emulator's limit of {MAX_BODY} bytes, or could not be read."
            ),
            None,
            &ctx,
        ),
    };
    pipeline::log(&shared, record, &response);
    response
}

/// `POST /beta/$batch` (empty segments after the version allowed, as for every route).
fn is_batch(parts: &Parts) -> bool {
    let mut segments = parts.uri.path().split('/').filter(|s| !s.is_empty());
    parts.method == Method::POST
        && segments.next() == Some(crate::API_VERSION)
        && segments
            .next()
            .is_some_and(|s| percent_decode_str(s).decode_utf8_lossy() == "$batch")
        && segments.next().is_none()
}
