//! Terraform's AWS provider against the real binary (issue 4, "real clients to keep working").
//! `tests/terraform/main.tf` declares a multi-Region key and an imported multi-Region key, each
//! with a replica in eu-west-1, a single-Region key of each origin and an alias for each key.
//! The test runs `terraform apply`, then `terraform plan`, which must find nothing to change,
//! then `terraform destroy`. After the apply the Rust SDK checks what Terraform made (SPEC B12,
//! B13, B17, B22, B36); after the destroy, that every key waits for its deletion (B31, B34).
//!
//! The provider comes from a local mirror: `KMSD_TF_PLUGIN_DIR`, or /opt/tf-plugins. Without
//! `terraform` on PATH or without the mirror, the test says so and passes. With `TF_LOG=DEBUG`
//! in the environment, a failure shows every KMS call the provider made and its answer.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::import::import_forever;
use crate::common::mrk::{key_type, primary_region, replicas, EU, US};
use crate::common::{key_arn, random_bytes, unique, Server, ACCESS_A, ACCOUNT_A, SECRET_A};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ExpirationModelType, KeyMetadata, KeyState, MultiRegionKeyType, OriginType,
};
use aws_sdk_kms::Client;
use base64::Engine as _;
use serde_json::Value;

/// The configuration Terraform applies.
const MAIN_TF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/terraform/main.tf");

/// Where the provider mirror is looked for when `KMSD_TF_PLUGIN_DIR` is not set.
const DEFAULT_PLUGIN_DIR: &str = "/opt/tf-plugins";

/// How long one terraform command may run. The provider's own waits bound a healthy run to
/// about a minute; a wrong answer can keep its waiters polling for twenty minutes.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// Environment variables that would change what terraform or the provider does.
const FOREIGN_ENV: [&str; 18] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_STS",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_init",
    "TF_CLI_ARGS_apply",
    "TF_CLI_ARGS_plan",
    "TF_CLI_ARGS_destroy",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
    "TF_PLUGIN_CACHE_DIR",
];

/// The provider mirror, or None (with a note) when it or `terraform` is missing.
fn plugin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KMSD_TF_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PLUGIN_DIR));
    let terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !terraform {
        println!("note: `terraform` is not on PATH; the Terraform test is skipped");
        return None;
    }
    if !dir.join("registry.terraform.io/hashicorp/aws").is_dir() {
        println!(
            "note: no AWS provider under {} (set KMSD_TF_PLUGIN_DIR to a provider mirror); \
             the Terraform test is skipped",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// A working directory holding the configuration, and the environment every command gets.
struct Terraform {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Terraform {
    /// Copies main.tf into a temp dir, writes a CLI config that installs providers from the
    /// mirror only, and passes the endpoint, the access key and the inputs as `TF_VAR_*`.
    fn new(server: &Server, plugins: &Path, name: &str, material: &[u8]) -> Terraform {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(MAIN_TF, dir.path().join("main.tf")).unwrap();
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = {:?}\n  }}\n}}\n",
                plugins.display().to_string()
            ),
        )
        .unwrap();
        let material = base64::engine::general_purpose::STANDARD.encode(material);
        let nowhere = dir.path().join("no-such-aws-config");
        let env = [
            ("TF_CLI_CONFIG_FILE", cli_config.display().to_string()),
            ("TF_IN_AUTOMATION", "1".to_string()),
            ("CHECKPOINT_DISABLE", "1".to_string()),
            ("AWS_CONFIG_FILE", nowhere.display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", nowhere.display().to_string()),
            ("TF_VAR_endpoint", server.endpoint()),
            ("TF_VAR_access_key", ACCESS_A.to_string()),
            ("TF_VAR_secret_key", SECRET_A.to_string()),
            ("TF_VAR_account_id", ACCOUNT_A.to_string()),
            ("TF_VAR_key_material_base64", material),
            ("TF_VAR_name", name.to_string()),
        ];
        Terraform {
            dir,
            env: env.map(|(k, v)| (k.to_string(), v)).into_iter().collect(),
        }
    }

    /// Runs `terraform <args>` in the working dir; answers the exit code, stdout and stderr.
    /// Past [`STEP_TIMEOUT`] the command and its provider processes are killed.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let stdout = self.dir.path().join("stdout.txt");
        let stderr = self.dir.path().join("stderr.txt");
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for var in FOREIGN_ENV {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        // Its own process group, so that a timeout also ends the provider plugins.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().expect("run terraform");

        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if start.elapsed() > STEP_TIMEOUT {
                #[cfg(unix)]
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        println!("terraform {} took {:.1?}", args[0], start.elapsed());
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        (status, read(&stdout), read(&stderr))
    }

    /// Runs `terraform <args>` and answers its stdout; fails the test, with the output and
    /// the server's log, unless it exits with `code`.
    #[track_caller]
    fn expect(&self, server: &Server, code: i32, args: &[&str]) -> String {
        let (status, stdout, stderr) = self.run(args);
        assert_eq!(
            status,
            Some(code),
            "terraform {args:?}: exit {status:?} (None: killed after {STEP_TIMEOUT:?})\n\
             stdout:\n{stdout}\nstderr:\n{stderr}\nkmsd's log:\n{}",
            server.log_text()
        );
        stdout
    }

    /// The outputs of the applied configuration, by name.
    fn outputs(&self, server: &Server) -> Value {
        let json = self.expect(server, 0, &["output", "-json", "-no-color"]);
        serde_json::from_str(&json).expect("terraform output -json")
    }
}

/// What the applied configuration made, from its outputs.
struct Applied {
    /// The AWS_KMS multi-Region key.
    key: String,
    /// The EXTERNAL multi-Region key.
    external: String,
    single: String,
    single_external: String,
    replica_arn: String,
    external_replica_arn: String,
}

impl Applied {
    fn read(tf: &Terraform, server: &Server) -> Applied {
        let outputs = tf.outputs(server);
        let get = |name: &str| {
            outputs[name]["value"]
                .as_str()
                .unwrap_or_else(|| panic!("no output {name} in {outputs}"))
                .to_string()
        };
        Applied {
            key: get("primary_key_id"),
            external: get("external_key_id"),
            single: get("single_key_id"),
            single_external: get("single_external_key_id"),
            replica_arn: get("replica_arn"),
            external_replica_arn: get("external_replica_arn"),
        }
    }
}

async fn describe(kms: &Client, key: &str) -> KeyMetadata {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeKey {key}: {e:?}"))
        .key_metadata
        .expect("KeyMetadata")
}

/// The tags of `key` as (key, value) pairs, sorted.
async fn tags(kms: &Client, key: &str) -> Vec<(String, String)> {
    let out = kms
        .list_resource_tags()
        .key_id(key)
        .send()
        .await
        .expect("ListResourceTags");
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect();
    tags.sort();
    tags
}

/// The (alias name, target key ID) pairs of the client's region whose name starts with
/// `alias/<name>`, sorted.
async fn aliases(kms: &Client, name: &str) -> Vec<(String, String)> {
    let prefix = format!("alias/{name}");
    let out = kms.list_aliases().send().await.expect("ListAliases");
    let mut aliases: Vec<(String, String)> = out
        .aliases()
        .iter()
        .filter(|a| a.alias_name().is_some_and(|n| n.starts_with(&prefix)))
        .map(|a| {
            (
                a.alias_name().unwrap_or_default().to_string(),
                a.target_key_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    aliases.sort();
    aliases
}

/// Encrypts under `key` in us-east-1, decrypts in eu-west-1 without a KeyId (SPEC B22), and
/// checks that the replica did it.
async fn crosses_regions(us: &Client, eu: &Client, key: &str) {
    let plaintext = random_bytes(48);
    let ciphertext = us
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(plaintext.clone()))
        .send()
        .await
        .expect("Encrypt in us-east-1")
        .ciphertext_blob
        .expect("CiphertextBlob");
    let out = eu
        .decrypt()
        .ciphertext_blob(ciphertext)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key}: Decrypt in eu-west-1: {e:?}"));
    assert_eq!(out.plaintext().unwrap().as_ref(), plaintext.as_slice());
    assert_eq!(out.key_id(), Some(key_arn(EU, key).as_str()));
}

/// A primary in us-east-1 and its replica in eu-west-1, as Terraform left them (SPEC B13,
/// B36): both Enabled, of `origin`, each naming the other.
async fn check_pair(us: &Client, eu: &Client, key: &str, origin: OriginType) {
    let set = vec![(EU.to_string(), key_arn(EU, key))];
    let primary = describe(us, key).await;
    let replica = describe(eu, key).await;
    for (md, kind) in [
        (&primary, MultiRegionKeyType::Primary),
        (&replica, MultiRegionKeyType::Replica),
    ] {
        assert_eq!(md.key_id(), key);
        assert_eq!(md.key_state(), Some(&KeyState::Enabled), "{md:?}");
        assert_eq!(md.origin(), Some(&origin));
        assert_eq!(key_type(md), Some(&kind));
        assert_eq!(primary_region(md), Some(US));
        assert_eq!(replicas(md), set, "{kind:?}");
    }
    crosses_regions(us, eu, key).await;
}

/// The imported replica holds the primary's material, which is the configuration's: those
/// bytes imported again are accepted, as only the key's own material is (SPEC A20, B12).
async fn check_imported_replica(us: &Client, eu: &Client, key: &str, material: &[u8]) {
    let (primary, replica) = (describe(us, key).await, describe(eu, key).await);
    assert_eq!(
        replica.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    assert!(replica.current_key_material_id().is_some(), "{replica:?}");
    assert_eq!(
        replica.current_key_material_id(),
        primary.current_key_material_id()
    );
    import_forever(eu, key, material).await;
}

/// The replica's independent properties are its own (SPEC B17); rotation is shared (B16).
async fn check_own_properties(us: &Client, eu: &Client, key: &str, name: &str) {
    let replica = describe(eu, key).await;
    assert_eq!(
        replica.description(),
        Some(format!("{name} replica").as_str())
    );
    assert_eq!(
        tags(eu, key).await,
        vec![("Name".to_string(), format!("{name}-replica"))]
    );
    assert_eq!(
        tags(us, key).await,
        vec![
            ("Name".to_string(), format!("{name}-primary")),
            ("Team".to_string(), "keys".to_string()),
        ]
    );
    let policy = eu
        .get_key_policy()
        .key_id(key)
        .send()
        .await
        .expect("GetKeyPolicy");
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).expect("policy JSON");
    assert_eq!(policy["Id"], format!("{name}-policy"));
    for kms in [us, eu] {
        let rotation = kms
            .get_key_rotation_status()
            .key_id(key)
            .send()
            .await
            .expect("GetKeyRotationStatus");
        assert!(rotation.key_rotation_enabled());
        assert_eq!(rotation.rotation_period_in_days(), Some(365));
    }
}

/// What `terraform apply` must have made, seen through the SDK.
async fn check_applied(server: &Server, name: &str, keys: &Applied, material: &[u8]) {
    let (us, eu) = (server.client(US), server.client(EU));
    let (key, external) = (&keys.key, &keys.external);

    // The replicas share their primary's key ID; only the region of the ARN differs (SPEC 1.3).
    assert_eq!(keys.replica_arn, key_arn(EU, key));
    assert_eq!(keys.external_replica_arn, key_arn(EU, external));
    check_pair(&us, &eu, key, OriginType::AwsKms).await;
    check_pair(&us, &eu, external, OriginType::External).await;
    check_imported_replica(&us, &eu, external, material).await;
    check_own_properties(&us, &eu, key, name).await;

    // The single-Region keys, and one alias per key in its own region.
    for id in [&keys.single, &keys.single_external] {
        let md = describe(&us, id).await;
        assert_eq!(md.key_state(), Some(&KeyState::Enabled), "{md:?}");
        assert_eq!(md.multi_region(), Some(false));
    }
    let mut expected_us = vec![
        (format!("alias/{name}-external-primary"), external.clone()),
        (format!("alias/{name}-primary"), key.clone()),
        (format!("alias/{name}-single"), keys.single.clone()),
    ];
    expected_us.sort();
    assert_eq!(aliases(&us, name).await, expected_us);
    assert_eq!(
        aliases(&eu, name).await,
        vec![
            (format!("alias/{name}-external-replica"), external.clone()),
            (format!("alias/{name}-replica"), key.clone()),
        ]
    );
}

/// What `terraform destroy` must have left: every key waiting for its deletion, with the
/// 7-day window of the configuration, and no alias (SPEC B31, B34).
async fn check_destroyed(server: &Server, name: &str, keys: &Applied) {
    let (us, eu) = (server.client(US), server.client(EU));
    for (kms, id, state) in [
        (&eu, &keys.key, KeyState::PendingDeletion),
        (&eu, &keys.external, KeyState::PendingDeletion),
        // A primary whose replicas still exist waits for them (SPEC B31).
        (&us, &keys.key, KeyState::PendingReplicaDeletion),
        (&us, &keys.external, KeyState::PendingReplicaDeletion),
        (&us, &keys.single, KeyState::PendingDeletion),
        (&us, &keys.single_external, KeyState::PendingDeletion),
    ] {
        let md = describe(kms, id).await;
        assert_eq!(md.key_state(), Some(&state), "{md:?}");
        assert_eq!(md.pending_deletion_window_in_days(), Some(7), "{md:?}");
    }
    assert_eq!(aliases(&us, name).await, vec![]);
    assert_eq!(aliases(&eu, name).await, vec![]);
}

#[tokio::test]
async fn terraform_applies_plans_no_change_and_destroys() {
    let Some(plugins) = plugin_dir() else {
        return;
    };
    let server = Server::start();
    let name = unique("tf");
    let material = random_bytes(32);
    let tf = Terraform::new(&server, &plugins, &name, &material);
    let start = Instant::now();

    // The terraform commands block this test's thread; the server is another process.
    tf.expect(&server, 0, &["init", "-input=false", "-no-color"]);
    tf.expect(
        &server,
        0,
        &["apply", "-input=false", "-no-color", "-auto-approve"],
    );
    let keys = Applied::read(&tf, &server);
    check_applied(&server, &name, &keys, &material).await;

    // `-detailed-exitcode`: 0 is "no changes", 2 would list what Terraform wants to change.
    tf.expect(
        &server,
        0,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    tf.expect(
        &server,
        0,
        &["destroy", "-input=false", "-no-color", "-auto-approve"],
    );
    check_destroyed(&server, &name, &keys).await;
    println!("the Terraform round trip took {:.1?}", start.elapsed());
}
