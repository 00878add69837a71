//! The end-to-end suite: every test here starts the real `kmsd` binary and talks to it through
//! a real client (the Rust SDK, the AWS CLI, openssl, raw signed HTTP or the AWS Encryption SDK).
//!
//! The suites are modules of one test binary rather than one binary each: each binary links the
//! whole AWS SDK, and thirty of them cost gigabytes of disk and minutes of linking on CI.
//! Run one suite with `cargo test -p kmsd --test e2e <module>::`, for example
//! `cargo test -p kmsd --test e2e peers::`.

mod common;

mod asym_agreement;
mod asym_data_key_pairs;
mod asym_encrypt;
mod asym_import;
mod asym_keys;
mod asym_mac;
mod asym_mrk;
mod asym_sign;
mod authz_aliases;
mod authz_conditions;
mod authz_config;
mod authz_cross_account;
mod authz_key_policy;
mod authz_keyless;
mod authz_lockout;
mod authz_multi_region;
mod cli;
mod crash;
mod import_basic;
mod import_errors;
mod import_expiry;
mod import_materials;
mod import_readme;
mod import_reimport;
mod mrk_cli;
mod mrk_crypto;
mod mrk_esdk;
mod mrk_import;
mod mrk_lifecycle;
mod mrk_properties;
mod mrk_sdk;
mod peers;
mod sdk_aliases_tags_policy;
mod sdk_crypto;
mod sdk_data_keys;
mod sdk_key_states;
mod sdk_keys;
mod sdk_policy_rotation;
mod sdk_tags;
mod terraform;
mod wire;
