//! Test-side helpers: a SigV4 signer written independently of the verifier, a raw HTTP/1.1
//! connection, and a server on 127.0.0.1:0 with a fake backend.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use aws_lc_rs::{digest, hmac};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use kms_api::{serve, AccessKey, ApiConfig, Backend};
use kms_model::{AccountId, Caller, KmsError, Operation};

pub const AKID: &str = "AKIATESTKEY000000001";
pub const SECRET: &str = "testsecret/abcdefghijklmnopqrstuvwxyz0123";
pub const ACCOUNT: &str = "111122223333";

/// Echoes the operation and caller; panics for GenerateRandom.
pub struct FakeBackend;

#[async_trait::async_trait]
impl Backend for FakeBackend {
    async fn call(
        &self,
        op: Operation,
        caller: &Caller,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, KmsError> {
        if op == Operation::GenerateRandom {
            panic!("deliberate panic in the fake backend");
        }
        let body = serde_json::json!({
            "Operation": op.name(),
            "Account": caller.account.as_str(),
            "Principal": caller.principal_arn,
            "Region": caller.region.as_str(),
            "Input": input,
        });
        Ok(body.to_string().into_bytes())
    }
}

/// A running server and the means to stop it.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts `serve` with the fake backend and one access key.
    pub async fn start() -> TestServer {
        // Logs go to the test's captured output (visible with --nocapture).
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let key = AccessKey {
            id: AKID.into(),
            secret: Zeroizing::new(SECRET.into()),
            account: AccountId::parse(ACCOUNT).unwrap(),
            principal_arn: None,
        };
        let config = ApiConfig {
            access_keys: vec![key],
            tls: None,
            peers: Vec::new(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, Arc::new(FakeBackend), config, shutdown));
        TestServer {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Asks the server to stop and waits for `serve` to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(std::time::Duration::from_secs(15), &mut self.task).await;
        assert!(
            matches!(result, Ok(Ok(Ok(())))),
            "serve did not stop cleanly"
        );
    }

    /// A new connection to the server.
    pub async fn connect(&self) -> Conn {
        Conn {
            stream: BufReader::new(TcpStream::connect(self.addr).await.unwrap()),
        }
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// `__type` of an error body.
    pub fn error_type(&self) -> String {
        self.json()["__type"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// `message` of an error body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    /// Sends raw request bytes and reads one response.
    pub async fn send(&mut self, request: &[u8]) -> Reply {
        self.stream.get_mut().write_all(request).await.unwrap();
        self.read_reply().await
    }

    async fn read_reply(&mut self) -> Reply {
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .expect("status line")
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.unwrap();
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').unwrap();
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await.unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

fn hmac_bytes(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

/// How to sign a KMS request in a test.
pub struct Signing<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// Epoch seconds of the signature.
    pub time: i64,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Signing {
            access_key: AKID,
            secret: SECRET,
            region: "us-east-1",
            service: "kms",
            time: kms_api::time::now_secs(),
        }
    }
}

/// The headers of a signed `POST /` with `X-Amz-Target: <target>` (none when `None`) and
/// `body`: the signed ones, then `authorization`.
pub fn signed_headers(
    host: &str,
    target: Option<&str>,
    body: &[u8],
    s: &Signing<'_>,
) -> Vec<(String, String)> {
    // The headers the client signs, sorted by name.
    let amz_date = kms_api::time::format_amz(s.time);
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("host".into(), host.into()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    if let Some(target) = target {
        headers.push(("x-amz-target".into(), target.into()));
    }
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let names = names.join(";");

    // Canonical request, string to sign, key derivation, signature.
    let mut canonical = String::from("POST\n/\n\n");
    for (name, value) in &headers {
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    canonical.push_str(&format!("\n{names}\n{}", sha256_hex(body)));
    let day = &amz_date[..8];
    let scope = format!("{day}/{}/{}/aws4_request", s.region, s.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let mut key = format!("AWS4{}", s.secret).into_bytes();
    for part in [day, s.region, s.service, "aws4_request"] {
        key = hmac_bytes(&key, part);
    }
    let signature = hex::encode(hmac_bytes(&key, &to_sign));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
        s.access_key
    );
    headers.push(("authorization".into(), authorization));
    headers
}

/// A signed `POST /` as raw HTTP/1.1 bytes.
pub fn signed_post(host: &str, target: Option<&str>, body: &[u8], s: &Signing<'_>) -> Vec<u8> {
    let mut out = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in signed_headers(host, target, body, s) {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
