//! Principals of two accounts and servers whose config gives them identity policies, for the
//! authorization suites (issue 5). Account A (111122223333) has its root, alice and bob;
//! account B (444455556666) has its root, carol and dave. Each test starts the server it
//! needs with [`World::start`], naming the identity policies of that test and nothing else,
//! and builds the AccessDeniedException messages it expects with [`denied`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kms::Client;
use serde_json::{json, Value};

use super::{Server, ACCESS_A, ACCESS_B, ACCOUNT_A, ACCOUNT_B, SECRET_A, SECRET_B};

/// One caller: an access key and the IAM principal it signs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The principal ARN AWS names in its messages and policies.
    pub arn: &'static str,
    pub account: &'static str,
    pub access: &'static str,
    pub secret: &'static str,
    /// Whether the config leaves `principal` out (the account root, the default).
    pub is_root: bool,
}

pub const ROOT_A: Principal = Principal {
    arn: "arn:aws:iam::111122223333:root",
    account: ACCOUNT_A,
    access: ACCESS_A,
    secret: SECRET_A,
    is_root: true,
};

pub const ALICE: Principal = Principal {
    arn: "arn:aws:iam::111122223333:user/alice",
    account: ACCOUNT_A,
    access: "AKIAALICEEXAMPLE0001",
    secret: "alice/secret/EXAMPLEKEY0000000000000001",
    is_root: false,
};

pub const BOB: Principal = Principal {
    arn: "arn:aws:iam::111122223333:user/bob",
    account: ACCOUNT_A,
    access: "AKIABOBEXAMPLE000002",
    secret: "bob/secret/EXAMPLEKEY00000000000000002",
    is_root: false,
};

pub const ROOT_B: Principal = Principal {
    arn: "arn:aws:iam::444455556666:root",
    account: ACCOUNT_B,
    access: ACCESS_B,
    secret: SECRET_B,
    is_root: true,
};

pub const CAROL: Principal = Principal {
    arn: "arn:aws:iam::444455556666:user/carol",
    account: ACCOUNT_B,
    access: "AKIACAROLEXAMPLE0003",
    secret: "carol/secret/EXAMPLEKEY000000000000003",
    is_root: false,
};

pub const DAVE: Principal = Principal {
    arn: "arn:aws:iam::444455556666:user/dave",
    account: ACCOUNT_B,
    access: "AKIADAVEEXAMPLE00004",
    secret: "dave/secret/EXAMPLEKEY0000000000000004",
    is_root: false,
};

/// Every principal the suites sign as; each gets an access key in every config.
pub const EVERYONE: [Principal; 6] = [ROOT_A, ALICE, BOB, ROOT_B, CAROL, DAVE];

/// The region the suites work in unless a test says otherwise.
pub const REGION: &str = "us-east-1";

/// The config text: an access key for every principal, then `policies` as `[[policies]]`.
pub fn config_text(policies: &[(Principal, Value)]) -> String {
    let mut text = String::new();
    for p in EVERYONE {
        text.push_str(&format!(
            "[[access_keys]]\nid = \"{}\"\nsecret = \"{}\"\naccount = \"{}\"\n",
            p.access, p.secret, p.account
        ));
        if !p.is_root {
            text.push_str(&format!("principal = \"{}\"\n", p.arn));
        }
        text.push('\n');
    }
    for (p, document) in policies {
        text.push_str(&policy_entry(p.arn, &document.to_string()));
    }
    text
}

/// One `[[policies]]` table; the document goes in as a TOML basic string (JSON's string
/// escapes are valid TOML escapes).
pub fn policy_entry(principal: &str, document: &str) -> String {
    let quoted = serde_json::to_string(document).unwrap();
    format!("[[policies]]\nprincipal = \"{principal}\"\ndocument = {quoted}\n\n")
}

/// A running server with the principals above and some identity policies.
pub struct World {
    pub server: Server,
}

impl World {
    /// Starts a server on a fresh data dir whose config attaches `policies` (principal,
    /// identity policy document) and nothing else.
    pub fn start(policies: &[(Principal, Value)]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("kmsd.toml");
        std::fs::write(&config, config_text(policies)).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        World {
            server: Server::launch(dir, Some(config)),
        }
    }

    /// A client signing as `who` in [`REGION`].
    pub fn client(&self, who: Principal) -> Client {
        self.client_in(who, REGION)
    }

    /// A client signing as `who` in `region`.
    pub fn client_in(&self, who: Principal, region: &str) -> Client {
        self.server.client_with(region, who.access, who.secret)
    }
}

/// An identity policy (no Principal) of the given statements.
pub fn identity(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// An identity policy that allows `actions` on every resource.
pub fn allow_all_resources(actions: &[&str]) -> Value {
    identity(json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]))
}

/// A key policy of the given statements.
pub fn key_policy(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The statement of AWS's default key policy: the account root may do everything, which
/// delegates to the account's identity policies.
pub fn root_statement(account: &str) -> Value {
    json!({
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    })
}

/// Why AWS says a request is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// No statement of the key policy allows the principal (or its account).
    NoResourceAllow,
    /// The key policy delegates to identity policies and none allows the action.
    NoIdentityAllow,
    /// A Deny statement of the key policy applies.
    ResourceDeny,
    /// A Deny statement of an identity policy applies.
    IdentityDeny,
}

/// AWS's AccessDeniedException message for `who` calling `action` on `resource` (a key ARN,
/// an alias ARN, or `*` for an action without a resource).
pub fn denied(who: Principal, action: &str, resource: &str, why: Why) -> String {
    let reason = match why {
        Why::NoResourceAllow => {
            format!("because no resource-based policy allows the {action} action")
        }
        Why::NoIdentityAllow => {
            format!("because no identity-based policy allows the {action} action")
        }
        Why::ResourceDeny => "with an explicit deny in a resource-based policy".into(),
        Why::IdentityDeny => "with an explicit deny in an identity-based policy".into(),
    };
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {reason}",
        who.arn
    )
}

/// What a `kmsd serve` that was meant to refuse its config did.
pub struct Refusal {
    pub status: ExitStatus,
    pub stderr: String,
}

/// Runs `kmsd serve --config <config>` on a fresh data dir and waits for it to exit; panics
/// if it is still running (it accepted the config) after `limit`.
pub fn serve_expecting_exit(config: &Path, data_dir: &Path, limit: Duration) -> Refusal {
    let stderr_path: PathBuf = data_dir.with_extension("stderr");
    let stderr = File::create(&stderr_path).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmsd"));
    cmd.arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--config")
        .arg(config);
    for var in ["KMSD_LISTEN", "KMSD_DATA_DIR", "KMSD_CONFIG"] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("spawn kmsd");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "kmsd accepted the config and kept running; stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Refusal {
        status,
        stderr: std::fs::read_to_string(&stderr_path).unwrap(),
    }
}

/// Creates a symmetric key whose policy is `policy`, skipping the lockout safety check
/// (the policies of these tests often leave the creator out on purpose).
pub async fn create_key_with_policy(kms: &Client, policy: &str) -> aws_sdk_kms::types::KeyMetadata {
    kms.create_key()
        .policy(policy)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey with policy {policy}: {e:?}"))
        .key_metadata
        .expect("KeyMetadata")
}

/// A ciphertext of `key` made by `kms` (which must be allowed to encrypt with it).
pub async fn ciphertext(kms: &Client, key: &str) -> aws_sdk_kms::primitives::Blob {
    kms.encrypt()
        .key_id(key)
        .plaintext(aws_sdk_kms::primitives::Blob::new(b"authorized".to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Encrypt under {key}: {e:?}"))
        .ciphertext_blob
        .expect("CiphertextBlob")
}

/// AWS's answer to a Decrypt without KeyId whose key the caller may not use (SPEC D9a): the
/// same as for a key that does not exist, so that it reveals nothing.
pub const UNKNOWN_CIPHERTEXT_KEY: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/// Asserts that `who` may not decrypt `blob` of key `arn`: without KeyId the answer is
/// D9a's, with the key ARN it is the full AccessDeniedException of `why`.
pub async fn assert_decrypt_denied(
    kms: &Client,
    blob: &aws_sdk_kms::primitives::Blob,
    who: Principal,
    arn: &str,
    why: Why,
) {
    super::assert_error(
        kms.decrypt().ciphertext_blob(blob.clone()).send().await,
        "AccessDeniedException",
        UNKNOWN_CIPHERTEXT_KEY,
    );
    super::assert_error(
        kms.decrypt()
            .ciphertext_blob(blob.clone())
            .key_id(arn)
            .send()
            .await,
        "AccessDeniedException",
        &denied(who, "kms:Decrypt", arn, why),
    );
}
