//! The authenticated caller of a request, as the SigV4 verifier establishes it.

use crate::ids::{AccountId, Region};

/// Who signed a request, for which account, and in which region it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account the access key belongs to; keys named without an ARN live here.
    pub account: AccountId,
    /// The principal the access key maps to (the account root by default).
    pub principal_arn: String,
    /// The access key ID that signed the request (never the secret).
    pub access_key_id: String,
    /// The region of the credential scope: the region the request is served in.
    pub region: Region,
    /// Whether the request arrived over TLS (aws:SecureTransport).
    pub secure_transport: bool,
    /// The client's IP address (aws:SourceIp), when known.
    pub source_ip: Option<std::net::IpAddr>,
}

impl Caller {
    /// The ARN of the account root, `arn:<partition>:iam::<account>:root`.
    pub fn account_root_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:root",
            self.region.partition().as_str(),
            self.account
        )
    }
}
