//! Multi-Region keys on the test side (SPEC §B): creating primaries, replicating them, and
//! waiting for what the replication worker delivers in the background. The server applies
//! outbox entries within milliseconds; every wait here gives up after [`WAIT`].

use std::time::{Duration, Instant};

use aws_sdk_kms::operation::replicate_key::ReplicateKeyOutput;
use aws_sdk_kms::types::{
    KeyMaterialState, KeyMetadata, MultiRegionKeyType, OriginType, RotationsListEntry,
};
use aws_sdk_kms::Client;

use super::{kms_error, Server};

/// The region of every primary the suites create.
pub const US: &str = "us-east-1";
/// The region of the first replica.
pub const EU: &str = "eu-west-1";
/// A second replica region.
pub const AP: &str = "ap-southeast-2";
/// A region that never holds a related key in the tests that use it.
pub const SA: &str = "sa-east-1";

/// How long a test waits for a replica to appear or settle.
pub const WAIT: Duration = Duration::from_secs(5);

/// One client per region, all of account A.
pub struct Regions {
    pub us: Client,
    pub eu: Client,
    pub ap: Client,
    pub sa: Client,
}

impl Regions {
    pub fn new(server: &Server) -> Regions {
        Regions {
            us: server.client(US),
            eu: server.client(EU),
            ap: server.client(AP),
            sa: server.client(SA),
        }
    }
}

/// Creates a multi-Region primary in the client's region with `origin` (SPEC B1, B3).
pub async fn create_primary(kms: &Client, origin: OriginType) -> KeyMetadata {
    kms.create_key()
        .multi_region(true)
        .origin(origin.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey MultiRegion=true Origin={origin:?}: {e:?}"))
        .key_metadata
        .expect("KeyMetadata")
}

/// A successful ReplicateKey of `key` into `region`, with the replica's defaults.
pub async fn replicate(kms: &Client, key: &str, region: &str) -> ReplicateKeyOutput {
    kms.replicate_key()
        .key_id(key)
        .replica_region(region)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ReplicateKey {key} -> {region}: {e:?}"))
}

/// DescribeKey of `key`, or `None` while the key does not exist (yet) in that region.
pub async fn try_describe(kms: &Client, key: &str) -> Option<KeyMetadata> {
    let result = kms.describe_key().key_id(key).send().await;
    match result {
        Ok(out) => out.key_metadata,
        Err(e) => {
            let err = kms_error::<(), _>(Err(e));
            assert_eq!(err.code, "NotFoundException", "DescribeKey {key}: {err:?}");
            None
        }
    }
}

/// Polls DescribeKey of `key` until `done` holds, and returns that metadata; fails the test
/// after [`WAIT`] with `what` and the last answer.
pub async fn wait_for(
    kms: &Client,
    key: &str,
    what: &str,
    done: impl Fn(&KeyMetadata) -> bool,
) -> KeyMetadata {
    let start = Instant::now();
    loop {
        let md = try_describe(kms, key).await;
        if let Some(md) = md.as_ref().filter(|md| done(md)) {
            return md.clone();
        }
        assert!(
            start.elapsed() < WAIT,
            "{key}: still not {what} after {WAIT:?}; last DescribeKey: {md:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `key` is in `state` in the client's region.
pub async fn wait_state(
    kms: &Client,
    key: &str,
    state: aws_sdk_kms::types::KeyState,
) -> KeyMetadata {
    let what = format!("{state:?}");
    wait_for(kms, key, &what, |md| md.key_state() == Some(&state)).await
}

/// Replicates `key` into `region` and waits until the replica left Creating.
pub async fn replicate_and_wait(kms: &Client, replica: &Client, key: &str, region: &str) {
    replicate(kms, key, region).await;
    wait_for(replica, key, "out of Creating", |md| {
        md.key_state() != Some(&aws_sdk_kms::types::KeyState::Creating)
    })
    .await;
}

/// The MultiRegionKeyType of a key's metadata.
pub fn key_type(md: &KeyMetadata) -> Option<&MultiRegionKeyType> {
    md.multi_region_configuration()
        .and_then(|c| c.multi_region_key_type())
}

/// The region of the primary a key's metadata names.
pub fn primary_region(md: &KeyMetadata) -> Option<&str> {
    md.multi_region_configuration()
        .and_then(|c| c.primary_key())
        .and_then(|k| k.region())
}

/// The (region, ARN) pairs of ReplicaKeys in a key's metadata, sorted by region.
pub fn replicas(md: &KeyMetadata) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = md
        .multi_region_configuration()
        .map(|c| c.replica_keys())
        .unwrap_or_default()
        .iter()
        .map(|k| {
            (
                k.region().unwrap_or_default().to_string(),
                k.arn().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every material of a key, ListKeyRotations with ALL_KEY_MATERIAL (SPEC A45).
pub async fn all_materials(kms: &Client, key: &str) -> Vec<RotationsListEntry> {
    kms.list_key_rotations()
        .key_id(key)
        .include_key_material(aws_sdk_kms::types::IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .expect("ListKeyRotations ALL_KEY_MATERIAL")
        .rotations()
        .to_vec()
}

/// The state of material `id` in a ListKeyRotations answer.
pub fn material_state<'a>(
    entries: &'a [RotationsListEntry],
    id: &str,
) -> Option<&'a KeyMaterialState> {
    entries
        .iter()
        .find(|e| e.key_material_id() == Some(id))
        .and_then(|e| e.key_material_state())
}
