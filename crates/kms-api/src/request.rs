//! One request, end to end (ARCHITECTURE.md): route, read the body, verify the signature, map
//! `X-Amz-Target` to an operation, validate, call the backend, encode the AWS JSON 1.1 answer
//! (SPEC.md D26-D29). Every response carries `x-amzn-RequestId` and `Date`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE, HOST};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use tracing::field::Empty;
use tracing::{info, info_span, warn, Instrument, Span};
use uuid::Uuid;

use kms_model::{Caller, ErrorCode, KmsError, Operation, Partition};

use crate::peer::{self, PeerAuth};
use crate::server::MAX_BODY_BYTES;
use crate::sigv4::{RequestParts, Verifier};
use crate::{time, validate, Backend};

/// How much of an oversized body is still read (and dropped) so that the client, which may
/// still be sending, reliably receives the error instead of a reset connection.
const DRAIN_LIMIT: usize = 16 * MAX_BODY_BYTES;

/// The content type of every KMS answer.
const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// What the server shares between requests.
pub(crate) struct App<B> {
    backend: Arc<B>,
    verifier: Verifier,
    peers: PeerAuth,
    secure_transport: bool,
}

/// The body of a peer route's answer and the extra headers it carries.
type PeerAnswer = (Vec<u8>, Vec<(&'static str, String)>);

/// What a route produced, before encoding.
enum Reply {
    /// `GET /health`.
    Health,
    /// A path the server does not serve.
    NoRoute,
    /// The answer of the KMS API.
    Api(Result<Vec<u8>, KmsError>),
    /// The answer of a `/peer/*` route, with the extra headers it carries.
    Peer(Result<PeerAnswer, KmsError>),
}

impl<B: Backend> App<B> {
    /// The shared state over a backend and a verifier.
    pub(crate) fn new(
        backend: Arc<B>,
        verifier: Verifier,
        peers: PeerAuth,
        secure_transport: bool,
    ) -> Self {
        App {
            backend,
            verifier,
            peers,
            secure_transport,
        }
    }

    /// Answers one request; never fails, since every error is an HTTP answer.
    pub(crate) async fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        // One span per request; the service records key_id into it.
        let request_id = Uuid::new_v4().to_string();
        let started = Instant::now();
        let span = info_span!(
            "request",
            request_id = %request_id,
            operation = Empty,
            access_key_id = Empty,
            principal = Empty,
            region = Empty,
            key_id = Empty,
        );

        // Route, then encode the reply.
        let is_health = req.uri().path() == "/health";
        let reply = self.route(req, peer).instrument(span.clone()).await;
        let response = encode(reply, &request_id);

        // One access line with the status and the duration.
        let status = response.status().as_u16();
        let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let error = response.extensions().get::<ErrorCode>().map(|c| c.name());
        span.in_scope(|| match status {
            500.. => warn!(status, duration_us, error, "access"),
            _ if is_health => tracing::debug!(status, duration_us, "access"),
            _ => info!(status, duration_us, error, "access"),
        });
        response
    }

    /// Picks the route by method and path.
    async fn route(&self, req: Request<Incoming>, peer: SocketAddr) -> Reply {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/health") => Reply::Health,
            (&Method::POST, "/") => Reply::Api(self.api(req, peer).await),
            (&Method::POST, "/peer/replicate") | (&Method::GET, "/peer/public-key") => {
                Reply::Peer(self.peer_api(req).await)
            }
            _ => Reply::NoRoute,
        }
    }

    /// The KMS API: body, signature, target, validation, backend.
    async fn api(&self, req: Request<Incoming>, peer: SocketAddr) -> Result<Vec<u8>, KmsError> {
        // Read the whole body, up to the limit.
        let (mut parts, body) = req.into_parts();
        let body = read_body(body, &parts.headers).await?;

        // Authenticate; over HTTP/2 the host is the `:authority`, which is signed as `host`.
        host_from_authority(&mut parts);
        let request = RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &body,
        };
        let identity = self.verifier.verify(&request, time::now_secs())?;
        let span = Span::current();
        span.record("access_key_id", identity.access_key_id.as_str());
        span.record("principal", identity.principal_arn.as_str());
        span.record("region", identity.region.as_str());

        // A region another deployment hosts is refused here, naming that deployment.
        if let Some(refusal) = self.backend.region_refusal(identity.region.as_str()) {
            return Err(refusal);
        }

        // The China partition's symmetric keys are SM4, which kmsd does not implement.
        if identity.region.partition() == Partition::AwsCn {
            return Err(KmsError::unsupported(format!(
                "The aws-cn partition (region {}) is not supported by kmsd: its symmetric keys are SM4.",
                identity.region
            )));
        }

        // Map the target to an operation, then validate the body against its input shape.
        let op = operation(&parts.headers)?;
        span.record("operation", op.name());
        let input = validate::validate_body(op, &body)?;

        // Run the backend on its own task, so that a panic becomes a 500, not a lost connection.
        let caller = Caller {
            account: identity.account,
            principal_arn: identity.principal_arn,
            access_key_id: identity.access_key_id,
            region: identity.region,
            secure_transport: self.secure_transport,
            source_ip: Some(peer.ip()),
        };
        self.call_backend(op, caller, input).await
    }

    /// The peer API: body, peer signature, then the route's work (see [`crate::peer`]).
    async fn peer_api(&self, req: Request<Incoming>) -> Result<PeerAnswer, KmsError> {
        // Step 1: read and authenticate, against the peer credentials only.
        let (mut parts, body) = req.into_parts();
        let body = read_body(body, &parts.headers).await?;
        host_from_authority(&mut parts);
        let request = RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &body,
        };
        let verified = self.peers.verify(&request)?;
        Span::current().record("principal", verified.peer.as_str());

        // Step 2: the route's work.
        if parts.method == Method::GET {
            let key = self
                .backend
                .peer_public_key()
                .ok_or_else(|| KmsError::unsupported("This kmsd deployment has no peers."))?;
            let body = peer::public_key_body(&key);
            let mac = peer::public_key_mac(&verified.signing_key, &verified.signature, &body);
            return Ok((body, vec![(peer::mac_header(), mac)]));
        }
        self.backend.peer_receive(&verified.peer, &body).await?;
        Ok((b"{}".to_vec(), Vec::new()))
    }

    /// Calls the backend; a panic inside it is logged and answered as `KMSInternalException`.
    async fn call_backend(
        &self,
        op: Operation,
        caller: Caller,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, KmsError> {
        let backend = self.backend.clone();
        let task =
            tokio::spawn(async move { backend.call(op, &caller, input).await }.in_current_span());
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                let payload = error.into_panic();
                let detail = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic payload".to_string());
                warn!(panic = %detail, "the handler panicked");
                Err(KmsError::internal())
            }
            Err(error) => {
                warn!(%error, "the handler task was cancelled");
                Err(KmsError::internal())
            }
        }
    }
}

/// Over HTTP/2 the host is the `:authority`, which is signed as `host`: copies it there.
fn host_from_authority(parts: &mut http::request::Parts) {
    if parts.headers.contains_key(HOST) {
        return;
    }
    if let Some(authority) = parts
        .uri
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        parts.headers.insert(HOST, authority);
    }
}

/// Reads the whole body; past [`MAX_BODY_BYTES`] it drains a bounded amount and fails.
async fn read_body(mut body: Incoming, headers: &HeaderMap) -> Result<Bytes, KmsError> {
    let too_large = || {
        KmsError::validation(format!(
            "The request body is larger than the limit of {MAX_BODY_BYTES} bytes."
        ))
    };
    // A declared length past the drain limit is refused before reading anything.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large());
    }

    // Collect frames; keep at most the limit, count the rest.
    let mut kept = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| KmsError::serialization("The request body could not be read."))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&data);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(kept.freeze())
}

/// The operation named by `X-Amz-Target: TrentService.<Operation>`.
fn operation(headers: &HeaderMap) -> Result<Operation, KmsError> {
    let unknown = || KmsError::new(ErrorCode::UnknownOperationException, "");
    let target = headers.get("x-amz-target").ok_or_else(unknown)?;
    let target = target.to_str().map_err(|_| unknown())?;
    match target.split_once('.') {
        Some(("TrentService", name)) => Operation::from_name(name).ok_or_else(unknown),
        _ => Err(unknown()),
    }
}

/// Encodes a reply as an HTTP response with the common headers.
fn encode(reply: Reply, request_id: &str) -> Response<Full<Bytes>> {
    let mut extra = Vec::new();
    let (status, content_type, body, code) = match reply {
        Reply::Health => (
            200,
            "application/json",
            Bytes::from_static(b"{\"status\":\"ok\"}"),
            None,
        ),
        Reply::NoRoute => (
            404,
            "application/json",
            Bytes::from_static(b"{\"message\":\"Not Found\"}"),
            None,
        ),
        Reply::Api(Ok(body)) => (200, AMZ_JSON, Bytes::from(body), None),
        Reply::Peer(Ok((body, headers))) => {
            extra = headers;
            (200, "application/json", Bytes::from(body), None)
        }
        Reply::Api(Err(error)) | Reply::Peer(Err(error)) => {
            let body = serde_json::json!({ "__type": error.code.name(), "message": error.message });
            (
                error.code.http_status(),
                AMZ_JSON,
                Bytes::from(body.to_string()),
                Some(error.code),
            )
        }
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Ok(date) = HeaderValue::from_str(&time::format_http(time::now_secs())) {
        headers.insert(DATE, date);
    }
    // The error code travels to the access line as an extension; it is not sent.
    if let Some(code) = code {
        response.extensions_mut().insert(code);
    }
    response
}
