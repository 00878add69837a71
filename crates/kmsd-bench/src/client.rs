//! One virtual client: a single kept-alive HTTP/1.1 connection to the endpoint that sends
//! signed KMS JSON requests one at a time, reconnecting when the server closes it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::sigv4::{Credentials, Signer, CONTENT_TYPE};

/// Where the KMS API is served: a plain `http://host:port` address.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The `host:port` that the `host` header names and the signature covers.
    pub authority: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/]`; `https` is refused since this client speaks plain TCP.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        // Only the scheme this client speaks.
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("endpoint {url:?}: only http:// endpoints are supported (put a TLS proxy in front for https)")
        })?;

        // The authority, with port 80 when none is given.
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("endpoint {url:?}: expected http://host:port"));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Endpoint { authority })
    }
}

/// The answer of one call.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The KMS error code of a failed call: the `__type` of its body without any namespace,
    /// or `HTTP <status>` when the body has none.
    pub fn error_code(&self) -> String {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v.get("__type"))
            .and_then(|t| t.as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
        code.unwrap_or_else(|| format!("HTTP {}", self.status))
    }
}

/// A connection to the endpoint and the signer of its requests.
pub struct Client {
    /// The endpoint.
    endpoint: Endpoint,
    /// The signer, with its own key cache.
    signer: Signer,
    /// The open connection, if any.
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    /// A client that connects on its first call.
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Self {
        Client {
            endpoint,
            signer: Signer::new(credentials),
            sender: None,
        }
    }

    /// Sends `body` to operation `target` (`TrentService.Encrypt`) signed for `region`.
    ///
    /// A transport failure drops the connection so that the next call opens a new one.
    pub async fn call(&mut self, target: &str, region: &str, body: Bytes) -> Result<Reply, String> {
        let result = self.try_call(target, region, body).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    /// One attempt of [`Client::call`].
    async fn try_call(&mut self, target: &str, region: &str, body: Bytes) -> Result<Reply, String> {
        // Sign the request and build it.
        let signed = self
            .signer
            .sign_now(&self.endpoint.authority, target, region, &body);
        let request = http::Request::post("/")
            .header("host", &self.endpoint.authority)
            .header("content-type", CONTENT_TYPE)
            .header("x-amz-target", target)
            .header("x-amz-date", signed.amz_date)
            .header("authorization", signed.authorization)
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;

        // Send it over a connection that is ready, opening one when needed.
        let sender = self.ready_sender().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;

        // Read the whole answer.
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("read: {e}"))?
            .to_bytes();
        Ok(Reply { status, body })
    }

    /// The current connection once it can take a request, or a new one when it closed.
    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        // A closed or failing connection is replaced, once.
        let usable = match self.sender.as_mut() {
            Some(sender) if !sender.is_closed() => sender.ready().await.is_ok(),
            _ => false,
        };
        if !usable {
            self.sender = Some(connect(&self.endpoint).await?);
        }

        // The connection exists now, either kept or new.
        let sender = self.sender.as_mut().ok_or("no connection")?;
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        Ok(sender)
    }
}

/// Opens one HTTP/1.1 connection and drives it on a background task.
async fn connect(endpoint: &Endpoint) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(&endpoint.authority)
        .await
        .map_err(|e| format!("connect {}: {e}", endpoint.authority))?;
    // Small requests go out at once rather than waiting on Nagle's algorithm.
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        // The connection's end is seen by the sender as closed; nothing else to do here.
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_default_port() {
        let e = Endpoint::parse("http://127.0.0.1:4000/").map(|e| e.authority);
        assert_eq!(e.as_deref(), Ok("127.0.0.1:4000"));
        let e = Endpoint::parse("http://localhost").map(|e| e.authority);
        assert_eq!(e.as_deref(), Ok("localhost:80"));
        assert!(Endpoint::parse("https://kms.us-east-1.amazonaws.com").is_err());
        assert!(Endpoint::parse("http://host/path").is_err());
    }

    #[test]
    fn error_codes_drop_the_namespace() {
        let reply = |body: &'static str| Reply {
            status: 400,
            body: Bytes::from_static(body.as_bytes()),
        };
        assert_eq!(
            reply(r#"{"__type":"NotFoundException"}"#).error_code(),
            "NotFoundException"
        );
        assert_eq!(
            reply(r#"{"__type":"com.amazonaws.kms#KMSInvalidStateException"}"#).error_code(),
            "KMSInvalidStateException"
        );
        assert_eq!(reply("oops").error_code(), "HTTP 400");
    }
}
