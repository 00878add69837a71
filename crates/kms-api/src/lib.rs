//! The API layer of kmsd: the HTTP server that AWS clients talk to.
//!
//! It implements the wire side of the AWS KMS API (the AWS JSON 1.1 protocol, SPEC.md D26-D33):
//! `POST /` with `X-Amz-Target: TrentService.<Operation>`, signed with AWS Signature Version 4
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>). A request is
//! authenticated ([`sigv4`]), mapped to an [`Operation`], checked against the constraints of the
//! operation's input shape ([`validate`]) and handed to a [`Backend`]; the answer is encoded as
//! JSON, or as `{"__type", "message"}` with the exception's HTTP status. This layer knows HTTP
//! and the wire format, and nothing of key semantics.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod peer;
pub mod sigv4;
pub mod time;
pub mod validate;

mod request;
mod server;

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use kms_model::{AccountId, Caller, KmsError, Operation};

pub use server::{serve, MAX_BODY_BYTES};

/// What the server calls for each authenticated, validated request.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Runs `op` for `caller` on a request body validated against the operation's input shape;
    /// answers the JSON body of the response.
    async fn call(
        &self,
        op: Operation,
        caller: &Caller,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, KmsError>;

    /// The refusal of a request signed for `region` when this deployment does not host it.
    fn region_refusal(&self, _region: &str) -> Option<KmsError> {
        None
    }

    /// This deployment's public key for material in transit from peers, if it has peers.
    fn peer_public_key(&self) -> Option<Vec<u8>> {
        None
    }

    /// Applies one replication entry sent by the authenticated peer `peer`.
    async fn peer_receive(&self, _peer: &str, _body: &[u8]) -> Result<(), KmsError> {
        Err(KmsError::unsupported("This kmsd deployment has no peers."))
    }
}

#[async_trait::async_trait]
impl Backend for kms_service::Service {
    async fn call(
        &self,
        op: Operation,
        caller: &Caller,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, KmsError> {
        kms_service::Service::call(self, op, caller, input).await
    }

    fn region_refusal(&self, region: &str) -> Option<KmsError> {
        kms_service::Service::region_refusal(self, region)
    }

    fn peer_public_key(&self) -> Option<Vec<u8>> {
        kms_service::Service::peer_public_key(self)
    }

    async fn peer_receive(&self, peer: &str, body: &[u8]) -> Result<(), KmsError> {
        kms_service::Service::peer_receive(self, peer, body).await
    }
}

/// One access key that may sign requests, and whom it stands for.
#[derive(Clone)]
pub struct AccessKey {
    /// The access key ID, as clients put it in the credential scope.
    pub id: String,
    /// The secret access key; zeroized on drop and never printed.
    pub secret: Zeroizing<String>,
    /// The account the key belongs to.
    pub account: AccountId,
    /// The principal the key maps to; `None` means the account root,
    /// `arn:<partition>:iam::<account>:root`.
    pub principal_arn: Option<String>,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("account", &self.account)
            .field("principal_arn", &self.principal_arn)
            .finish()
    }
}

/// How the server runs: who may sign requests, and whether it speaks TLS.
#[derive(Clone, Debug, Default)]
pub struct ApiConfig {
    /// The access keys that may sign requests.
    pub access_keys: Vec<AccessKey>,
    /// The TLS configuration; `None` serves plain HTTP. Its ALPN list decides whether HTTP/2
    /// is offered over TLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The peer deployments whose signed requests the `/peer/*` routes accept.
    pub peers: Vec<peer::PeerCredential>,
}
