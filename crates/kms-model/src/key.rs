//! The stored record of a KMS key, its material versions and its alias records.
//!
//! A record is what the store persists and the service reads and writes in one transaction.
//! Key material appears here only sealed (AES-256-GCM under the root key, made and opened by
//! kms-crypto); nothing in this module ever holds material in the clear.

use serde::{Deserialize, Serialize};

use crate::generated::shapes::{
    ExpirationModelType, ImportState, KeyMaterialState, KeySpec, KeyState, KeyUsageType,
    OriginType, RotationType, Tag,
};
use crate::ids::{key_arn, AccountId, Region};
use crate::wire::{Blob, Timestamp};

/// One version of a key's material: created at CreateKey or by a rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialVersion {
    /// The key material ID: 64 lowercase hex characters (SPEC A31).
    pub id: String,
    /// The material sealed under the root key; the associated data binds the key and this ID.
    pub sealed: Blob,
    /// CURRENT, NON_CURRENT or a pending state.
    pub state: KeyMaterialState,
    /// When this material was made current by a rotation (absent for the first material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<Timestamp>,
    /// How the rotation that made it current happened (absent for the first material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<RotationType>,
    /// The import settings of imported (EXTERNAL) material; absent for AWS_KMS material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportSettings>,
}

/// The state and expiration settings of one imported material version (SPEC A23-A39).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSettings {
    /// IMPORTED while the material is present; PENDING_IMPORT once deleted or expired (the
    /// sealed bytes are then empty, and only the ID remains to recognise a reimport).
    pub state: ImportState,
    /// Whether the material expires; absent while PENDING_IMPORT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModelType>,
    /// When the material expires, for KEY_MATERIAL_EXPIRES.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// The caller's description of the material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl MaterialVersion {
    /// Whether the material bytes are present: always for AWS_KMS material, while IMPORTED
    /// for imported material.
    pub fn is_present(&self) -> bool {
        self.import
            .as_ref()
            .is_none_or(|i| i.state == ImportState::Imported)
    }

    /// Whether the material is permanently associated with its key (CURRENT or NON_CURRENT),
    /// as opposed to pending a rotation (SPEC A34).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.state,
            KeyMaterialState::Current | KeyMaterialState::NonCurrent
        )
    }

    /// When present imported material expires, if it does.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.import
            .as_ref()
            .filter(|i| i.state == ImportState::Imported)
            .and_then(|i| i.valid_to)
    }
}

/// The rotation settings of a key (SPEC D: EnableKeyRotation, GetKeyRotationStatus).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RotationSettings {
    /// Whether automatic rotation is enabled.
    pub enabled: bool,
    /// The rotation period in days (90-2560), present once rotation was enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_days: Option<i64>,
    /// When the next automatic rotation is due, while rotation is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<Timestamp>,
    /// When the on-demand rotation in progress started, if one is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_start: Option<Timestamp>,
    /// How many on-demand rotations the key has had (the quota is 25).
    #[serde(default)]
    pub on_demand_count: u32,
}

/// What every related multi-Region key knows of the set: who is primary, who replicates it, and
/// the version of the shared properties it holds (SPEC B16, ARCHITECTURE.md "Multi-Region keys
/// and replication").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegion {
    /// The region of the primary key.
    pub primary_region: String,
    /// The regions of every replica, sorted.
    #[serde(default)]
    pub replica_regions: Vec<String>,
    /// The version of the shared properties: bumped by the primary at every change of them;
    /// a copy applies a snapshot only when it is newer.
    pub shared_version: u64,
    /// Bumped by every change of primary; a snapshot of an older epoch is never applied, so a
    /// partition during UpdatePrimaryRegion cannot leave two primaries.
    pub epoch: u64,
    /// At the primary: the replica regions that have imported each material pending a
    /// multi-Region rotation (EXTERNAL keys, SPEC A43).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub imported_by: std::collections::BTreeMap<String, Vec<String>>,
    /// While Updating: the state the key returns to when the new primary is in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_before_update: Option<KeyState>,
}

impl MultiRegion {
    /// Whether `region` is the primary's.
    pub fn is_primary(&self, region: &str) -> bool {
        self.primary_region == region
    }

    /// Every region of the set: the primary's, then the replicas'.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary_region.as_str())
            .chain(self.replica_regions.iter().map(|r| r.as_str()))
    }
}

/// The last successful cryptographic use of a key (GetKeyLastUsage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsage {
    /// When the key was last used.
    pub timestamp: Timestamp,
    /// The operation that used it (a KeyLastUsageTrackingOperation name).
    pub operation: String,
}

/// A KMS key as stored: identity, metadata, state and sealed material versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The owning account.
    pub account: AccountIdString,
    /// The region the key lives in.
    pub region: RegionString,
    /// The key ID (UUID, or `mrk-` + 32 hex).
    pub key_id: String,
    /// When the key was created.
    pub creation_date: Timestamp,
    /// The description (may be empty).
    pub description: String,
    /// The key spec; never changes.
    pub key_spec: KeySpec,
    /// The key usage; never changes.
    pub key_usage: KeyUsageType,
    /// Where the material comes from; never changes.
    pub origin: OriginType,
    /// The key state (SPEC §C).
    pub state: KeyState,
    /// When a key pending deletion will be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Timestamp>,
    /// The waiting period chosen at ScheduleKeyDeletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_window_days: Option<i64>,
    /// The key policy document, exactly as given or as the default was written.
    pub policy: String,
    /// The key's tags, in the order they were first set.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Automatic and on-demand rotation settings.
    #[serde(default)]
    pub rotation: RotationSettings,
    /// Every material version, oldest first.
    #[serde(default)]
    pub materials: Vec<MaterialVersion>,
    /// The multi-Region membership of a multi-Region key (absent for single-Region keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<MultiRegion>,
    /// The last cryptographic use, as last flushed to the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_usage: Option<LastUsage>,
    /// Bumped by every write; the store refuses a write whose expected version is stale.
    #[serde(default)]
    pub version: u64,
}

/// An account ID as stored (validated when the record was built).
pub type AccountIdString = String;
/// A region name as stored (validated when the record was built).
pub type RegionString = String;

impl KeyRecord {
    /// The key ARN.
    pub fn arn(&self) -> String {
        match (Region::parse(&self.region), AccountId::parse(&self.account)) {
            (Some(region), Some(account)) => key_arn(&region, &account, &self.key_id),
            // Records are only built from parsed identifiers, so this arm is unreachable;
            // it still yields a well-formed string rather than a panic.
            _ => format!(
                "arn:aws:kms:{}:{}:key/{}",
                self.region, self.account, self.key_id
            ),
        }
    }

    /// The material version that encrypts now, if the key has one.
    pub fn current_material(&self) -> Option<&MaterialVersion> {
        self.materials
            .iter()
            .find(|m| m.state == KeyMaterialState::Current)
    }

    /// The material version with this ID, if the key has it.
    pub fn material(&self, id: &str) -> Option<&MaterialVersion> {
        self.materials.iter().find(|m| m.id == id)
    }

    /// Whether the key's state is Enabled.
    pub fn enabled(&self) -> bool {
        self.state == KeyState::Enabled
    }

    /// Whether this is the primary key of a multi-Region key.
    pub fn is_mrk_primary(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.is_primary(&self.region))
    }

    /// Whether this is a replica key of a multi-Region key.
    pub fn is_mrk_replica(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| !m.is_primary(&self.region))
    }
}

/// An alias: a name that points at one customer-managed key of the same account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// The owning account.
    pub account: AccountIdString,
    /// The region of the alias.
    pub region: RegionString,
    /// The alias name, with its `alias/` prefix.
    pub name: String,
    /// The key ID the alias points at.
    pub target_key_id: String,
    /// When the alias was created.
    pub creation_date: Timestamp,
    /// When the alias was last pointed at a key.
    pub last_updated_date: Timestamp,
}

impl KeyRecord {
    /// The earliest moment at which time alone changes this key: its deletion date or its next
    /// automatic rotation. The store indexes it so that the scheduler finds due keys cheaply.
    /// Imported material counts at its ValidTo. A rotation counts only while the key is Enabled: a disabled key never rotates, and its
    /// overdue rotation happens when EnableKey makes it due again.
    pub fn next_due(&self) -> Option<Timestamp> {
        let rotates = self.rotation.enabled && self.state == KeyState::Enabled;
        let rotation = self.rotation.next_rotation.filter(|_| rotates);
        let expiry = self.materials.iter().filter_map(|m| m.expires_at()).min();
        [self.deletion_date, rotation, expiry]
            .into_iter()
            .flatten()
            .min()
    }
}
