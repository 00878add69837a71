//! The peer API between kmsd deployments (ARCHITECTURE.md "Multi-Region keys and
//! replication"): both its routes on the server and the client that calls them.
//!
//! - `POST /peer/replicate`: the body is one outbox entry (its material encrypted to the
//!   receiver); `200 {}` once the receiver has applied it, idempotently.
//! - `GET /peer/public-key`: `200 {"PublicKey": <base64>}`, the receiver's key for material in
//!   transit. The answer carries `x-kmsd-peer-mac`, an HMAC-SHA256 of the body and the
//!   request's signature under the request's SigV4 signing key, so that the client knows the
//!   key comes from the peer it shares the credential with even over plain HTTP.
//!
//! Peer requests are signed with AWS Signature Version 4 for the service name
//! [`PEER_SERVICE`], with a credential both deployments name in their `[[peers]]` entry for
//! each other; a KMS access key cannot sign them and a peer credential cannot call the KMS API.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use kms_model::{AccountId, ErrorCode, KmsError};
use kms_service::{PeerError, PeerLink};

use crate::sigv4::{
    canonical_request, derive_signing_key, parse_authorization, RequestParts, Verifier, ALGORITHM,
};
use crate::{time, AccessKey};

/// The SigV4 service name of peer requests.
pub const PEER_SERVICE: &str = "kmsd-peer";

/// The header of the public key's MAC.
const MAC_HEADER: &str = "x-kmsd-peer-mac";

/// How long a peer has to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a peer has to answer a request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// One peer deployment as the API layer knows it: where it is and the credential shared with
/// it, which signs requests to it and verifies requests from it.
#[derive(Clone)]
pub struct PeerCredential {
    /// The peer's name, as the configuration and the logs call it.
    pub name: String,
    /// The base URL of the peer's API, `http://host:port` or `https://host:port`.
    pub url: String,
    /// The region requests to the peer are signed for (one the peer hosts).
    pub region: String,
    /// The access key ID of the shared credential.
    pub access_key_id: String,
    /// The secret of the shared credential; zeroized on drop and never printed.
    pub secret: Zeroizing<String>,
}

impl fmt::Debug for PeerCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerCredential")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------------

/// What the server needs to authenticate peers: a verifier for [`PEER_SERVICE`] and, per
/// access key ID, the peer's name and secret.
pub(crate) struct PeerAuth {
    verifier: Verifier,
    by_key: HashMap<String, PeerCredential>,
}

/// A peer request that passed its signature check.
pub(crate) struct Verified {
    /// The peer's name.
    pub peer: String,
    /// The request's signature, which the public key's MAC binds.
    pub signature: String,
    /// The signing key of the request's scope.
    pub signing_key: Zeroizing<[u8; 32]>,
}

impl PeerAuth {
    /// The authenticator of `peers`.
    pub(crate) fn new(peers: &[PeerCredential]) -> PeerAuth {
        // The verifier wants accounts; a peer credential is no account's, so it gets none that
        // exists, and it is never handed to the KMS API anyway.
        let keys = peers.iter().map(|p| AccessKey {
            id: p.access_key_id.clone(),
            secret: p.secret.clone(),
            account: no_account(),
            principal_arn: Some(format!("kmsd-peer:{}", p.name)),
        });
        PeerAuth {
            verifier: Verifier::new(keys, PEER_SERVICE),
            by_key: peers
                .iter()
                .map(|p| (p.access_key_id.clone(), p.clone()))
                .collect(),
        }
    }

    /// Verifies a peer request's signature; answers who sent it.
    pub(crate) fn verify(&self, req: &RequestParts<'_>) -> Result<Verified, KmsError> {
        // Step 1: the signature, by the verifier every request goes through.
        let identity = self.verifier.verify(req, time::now_secs())?;
        let peer = self
            .by_key
            .get(&identity.access_key_id)
            .ok_or_else(|| KmsError::new(ErrorCode::AccessDeniedException, "Unknown peer."))?;

        // Step 2: what the answer's MAC needs: the signature and the scope's signing key.
        let header = req
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let auth = parse_authorization(header, true)?;
        let signing_key = derive_signing_key(
            &peer.secret,
            auth.scope.date,
            auth.scope.region,
            PEER_SERVICE,
        );
        Ok(Verified {
            peer: peer.name.clone(),
            signature: auth.signature.to_string(),
            signing_key,
        })
    }
}

/// The account that peer credentials nominally belong to.
fn no_account() -> AccountId {
    // Invariant: twelve ASCII digits are a valid account ID.
    #[allow(clippy::expect_used, reason = "a constant valid account ID")]
    AccountId::parse("000000000000").expect("a valid account ID")
}

/// The MAC of a public-key answer: HMAC-SHA256 under the request's signing key of a label,
/// the request's signature and the body, in hex.
pub(crate) fn public_key_mac(signing_key: &[u8; 32], signature: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, signing_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"kmsd-peer public-key v1\n");
    ctx.update(signature.as_bytes());
    ctx.update(b"\n");
    ctx.update(body);
    hex::encode(ctx.sign().as_ref())
}

/// The body of a public-key answer.
pub(crate) fn public_key_body(key: &[u8]) -> Vec<u8> {
    serde_json::json!({ "PublicKey": STANDARD.encode(key) })
        .to_string()
        .into_bytes()
}

/// The name of the MAC header, for the server's answer.
pub(crate) fn mac_header() -> &'static str {
    MAC_HEADER
}

// ---------------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------------

/// The HTTP transport to peer deployments, signing each request with the shared credential.
pub struct PeerClient {
    peers: HashMap<String, PeerCredential>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for PeerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerClient")
            .field("peers", &self.peers.values().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// An answer of a peer: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The signature the request carried.
    signature: String,
    /// The signing key of the request.
    signing_key: Zeroizing<[u8; 32]>,
}

impl PeerClient {
    /// A client of `peers`; `tls` is the client configuration for `https` peers (trusted roots).
    pub fn new(peers: Vec<PeerCredential>, tls: Option<Arc<rustls::ClientConfig>>) -> PeerClient {
        PeerClient {
            peers: peers.into_iter().map(|p| (p.name.clone(), p)).collect(),
            tls,
        }
    }

    /// Sends one signed request to `peer` and reads its answer, within the timeouts.
    async fn request(
        &self,
        peer: &str,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Answer, PeerError> {
        let cred = self
            .peers
            .get(peer)
            .ok_or_else(|| PeerError(format!("unknown peer {peer}")))?;
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(cred, method, path, body)).await {
            Ok(answer) => answer,
            Err(_) => Err(PeerError(format!("peer {peer} did not answer in time"))),
        }
    }

    /// Connects, signs, sends, reads.
    async fn exchange(
        &self,
        cred: &PeerCredential,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Answer, PeerError> {
        // Step 1: where the peer is.
        let fail = |what: &str| PeerError(format!("peer {}: {what}", cred.name));
        let uri: http::Uri = cred.url.parse().map_err(|_| fail("invalid URL"))?;
        let https = uri.scheme_str() == Some("https");
        let host = uri
            .host()
            .ok_or_else(|| fail("URL without host"))?
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| host.clone());
        let base = uri.path().trim_end_matches('/');
        let full_path = format!("{base}{path}");

        // Step 2: the signed request.
        let (request, signature, signing_key) =
            sign(cred, method, &full_path, &authority, body).map_err(|_| fail("cannot sign"))?;

        // Step 3: connect (over TLS for https) and exchange.
        let stream =
            tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
                .await
                .map_err(|_| fail("connection timed out"))?
                .map_err(|e| fail(&format!("cannot connect: {e}")))?;
        let (status, headers, body) = if https {
            let config = self
                .tls
                .clone()
                .ok_or_else(|| fail("https peer without a TLS client configuration"))?;
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| fail("invalid TLS server name"))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| fail(&format!("TLS handshake failed: {e}")))?;
            send(tls, request).await.map_err(|e| fail(&e))?
        } else {
            send(stream, request).await.map_err(|e| fail(&e))?
        };
        Ok(Answer {
            status,
            headers,
            body,
            signature,
            signing_key,
        })
    }
}

/// Sends `request` over one HTTP/1.1 connection on `io` and reads the whole answer.
async fn send<I>(
    io: I,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, HeaderMap, Bytes), String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "peer connection ended with an error");
        }
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?
        .to_bytes();
    Ok((parts.status, parts.headers, body))
}

/// A signed request, its signature and the signing key of its scope.
type Signed = (Request<Full<Bytes>>, String, Zeroizing<[u8; 32]>);

/// The request with its SigV4 headers, the signature and the signing key.
fn sign(
    cred: &PeerCredential,
    method: Method,
    path: &str,
    authority: &str,
    body: Vec<u8>,
) -> Result<Signed, http::Error> {
    // Step 1: the headers that are signed.
    let amz_date = time::format_amz(time::now_secs());
    let date = amz_date.get(..8).unwrap_or_default().to_string();
    let body_hash = hex::encode(digest::digest(&digest::SHA256, &body));
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::from_str(authority)?);
    headers.insert("x-amz-date", HeaderValue::from_str(&amz_date)?);
    headers.insert("x-amz-content-sha256", HeaderValue::from_str(&body_hash)?);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));

    // Step 2: canonical request, string to sign, signature.
    let signed = ["content-type", "host", "x-amz-content-sha256", "x-amz-date"];
    let parts = RequestParts {
        method: method.as_str(),
        path,
        query: "",
        headers: &headers,
        body: &body,
    };
    let canonical = canonical_request(&parts, &signed, &body_hash);
    let scope = format!("{date}/{}/{PEER_SERVICE}/aws4_request", cred.region);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(digest::digest(&digest::SHA256, &canonical))
    );
    let signing_key = derive_signing_key(&cred.secret, &date, &cred.region, PEER_SERVICE);
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &signing_key[..]),
        string_to_sign.as_bytes(),
    );
    let signature = hex::encode(tag.as_ref());
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        cred.access_key_id,
        signed.join(";")
    );
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&authorization)?);

    // Step 3: the request.
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    let request = builder.body(Full::new(Bytes::from(body)))?;
    Ok((request, signature, signing_key))
}

/// The error text of a refused answer: its status and exception name, never its whole body.
fn refused(peer: &str, answer: &Answer) -> PeerError {
    let code = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["__type"].as_str().map(str::to_string))
        .unwrap_or_default();
    PeerError(format!(
        "peer {peer} answered {} {code}",
        answer.status.as_u16()
    ))
}

#[async_trait::async_trait]
impl PeerLink for PeerClient {
    async fn replicate(&self, peer: &str, body: Vec<u8>) -> Result<(), PeerError> {
        let answer = self
            .request(peer, Method::POST, "/peer/replicate", body)
            .await?;
        if answer.status != StatusCode::OK {
            return Err(refused(peer, &answer));
        }
        Ok(())
    }

    async fn public_key(&self, peer: &str) -> Result<Vec<u8>, PeerError> {
        // Step 1: ask, and check that the peer answered.
        let answer = self
            .request(peer, Method::GET, "/peer/public-key", Vec::new())
            .await?;
        if answer.status != StatusCode::OK {
            return Err(refused(peer, &answer));
        }

        // Step 2: the answer must carry the MAC only the peer can make.
        let expected = public_key_mac(&answer.signing_key, &answer.signature, &answer.body);
        let given = answer
            .headers
            .get(MAC_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(PeerError(format!(
                "peer {peer}: the public key's MAC does not verify"
            )));
        }

        // Step 3: the key itself.
        let value: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|_| PeerError(format!("peer {peer}: unreadable public key")))?;
        value["PublicKey"]
            .as_str()
            .and_then(|k| STANDARD.decode(k).ok())
            .ok_or_else(|| PeerError(format!("peer {peer}: unreadable public key")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred() -> PeerCredential {
        PeerCredential {
            name: "west".into(),
            url: "http://127.0.0.1:1".into(),
            region: "eu-west-1".into(),
            access_key_id: "PEERKEY".into(),
            secret: Zeroizing::new("peer-secret".into()),
        }
    }

    #[test]
    fn a_signed_request_verifies_with_the_same_credential_only() {
        let (request, signature, key) = sign(
            &cred(),
            Method::POST,
            "/peer/replicate",
            "127.0.0.1:1",
            b"{}".to_vec(),
        )
        .unwrap();
        let parts = RequestParts {
            method: "POST",
            path: "/peer/replicate",
            query: "",
            headers: request.headers(),
            body: b"{}",
        };
        let verified = PeerAuth::new(&[cred()]).verify(&parts).unwrap();
        assert_eq!(verified.peer, "west");
        assert_eq!(verified.signature, signature);
        assert_eq!(*verified.signing_key, *key);

        let mut other = cred();
        other.secret = Zeroizing::new("another".into());
        assert!(PeerAuth::new(&[other]).verify(&parts).is_err());
        let changed = RequestParts {
            body: b"{\"x\":1}",
            ..parts
        };
        assert!(PeerAuth::new(&[cred()]).verify(&changed).is_err());
    }

    #[test]
    fn a_kms_signature_is_not_a_peer_signature() {
        let kms = Verifier::new(
            [AccessKey {
                id: "PEERKEY".into(),
                secret: Zeroizing::new("peer-secret".into()),
                account: AccountId::parse("111122223333").unwrap(),
                principal_arn: None,
            }],
            "kms",
        );
        let (request, _, _) =
            sign(&cred(), Method::POST, "/", "127.0.0.1:1", b"{}".to_vec()).unwrap();
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: request.headers(),
            body: b"{}",
        };
        assert!(kms.verify(&parts, time::now_secs()).is_err());
    }

    #[test]
    fn the_mac_binds_the_body_and_the_request() {
        let key = [7u8; 32];
        let mac = public_key_mac(&key, "sig", b"body");
        assert_ne!(mac, public_key_mac(&key, "sig", b"other"));
        assert_ne!(mac, public_key_mac(&key, "sig2", b"body"));
        assert_ne!(mac, public_key_mac(&[8u8; 32], "sig", b"body"));
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", cred()).contains("peer-secret"));
    }
}
