//! The model layer of kmsd: identifiers, enums, key records, wire shapes and the key-state table.
//!
//! Nothing here does I/O or runs async. The wire shapes, the constraint table and the
//! [`Operation`] enum are generated from the AWS KMS service model (botocore's
//! `kms/2014-11-01/service-2.json`) by `tools/gen_shapes.py`; the rest is written by hand.

pub mod caller;
pub mod error;
pub mod generated;
pub mod ids;
pub mod key;
pub mod key_state;
pub mod wire;

pub use caller::Caller;
pub use error::{ErrorCode, KmsError};
pub use generated::operations::Operation;
pub use generated::shapes;
pub use ids::{AccountId, KeyId, KeyIdentifier, Partition, Region};
pub use key::{
    AliasRecord, ImportSettings, KeyRecord, LastUsage, MaterialVersion, MultiRegion,
    RotationSettings,
};
pub use wire::{Blob, SensitiveBlob, Timestamp};
