//! The replication part of the configuration file: the regions this deployment hosts, its
//! `[[peers]]`, and the bound on transient states (docs/configuration.md, "Replication between
//! deployments"; ARCHITECTURE.md "Identity and isolation").

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use kms_model::Region;

use super::ConfigError;

/// Length of a peer's public key: an uncompressed P-256 point.
const PUBLIC_KEY_LEN: usize = kms_crypto::peer::PUBLIC_KEY_LEN;

/// One `[[peers]]` table: another kmsd deployment, the regions it hosts and the credential
/// both deployments share to sign their peer requests.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    /// The peer's name, used in logs and in the error for a region it hosts.
    pub name: String,
    /// The base URL of the peer's API: `http://host:port` or `https://host:port`.
    pub url: String,
    /// The regions the peer hosts.
    pub regions: Vec<String>,
    /// The access key ID of the credential shared with the peer (the same in its config).
    pub access_key_id: String,
    /// The secret of the shared credential.
    pub secret: Zeroizing<String>,
    /// The peer's public key for material in transit (130 hex digits), to pin it; without it,
    /// the key is fetched from the peer over the authenticated peer API.
    pub public_key: Option<String>,
    /// A PEM file of the CA certificates that an `https` peer's certificate must chain to.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for PeerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerEntry")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("regions", &self.regions)
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// A validated peer.
#[derive(Clone)]
pub struct PeerSettings {
    /// The peer's name.
    pub name: String,
    /// The base URL of its API.
    pub url: String,
    /// The regions it hosts.
    pub regions: Vec<String>,
    /// The shared credential's access key ID.
    pub access_key_id: String,
    /// The shared credential's secret.
    pub secret: Zeroizing<String>,
    /// The pinned public key, if configured.
    pub public_key: Option<Vec<u8>>,
    /// The CA file of an `https` peer, resolved against the config file's directory.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for PeerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerSettings")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("regions", &self.regions)
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"[redacted]")
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// What the configuration says about replication between deployments.
#[derive(Debug, Clone, Default)]
pub struct Replication {
    /// The regions hosted here; `None` hosts every region no peer hosts.
    pub regions: Option<Vec<String>>,
    /// The peer deployments.
    pub peers: Vec<PeerSettings>,
    /// The bound on Creating, Updating and a pending multi-Region rotation while a peer is
    /// unreachable; `None` is the default.
    pub transient_timeout: Option<Duration>,
}

/// The raw fields of the file that [`validate`] checks.
pub struct Raw {
    /// `regions`.
    pub regions: Option<Vec<String>>,
    /// `replication_timeout_secs`.
    pub timeout_secs: Option<u64>,
    /// `[[peers]]`.
    pub peers: Vec<PeerEntry>,
}

/// Checks the replication fields of the file at `path` (relative paths against `base`).
pub fn validate(raw: Raw, path: &Path, base: &Path) -> Result<Replication, ConfigError> {
    let invalid = |field: String, reason: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        field,
        reason,
    };

    // Step 1: the hosted regions are region names, each once.
    if let Some(regions) = &raw.regions {
        check_regions(regions).map_err(|r| invalid("regions".into(), r))?;
    }

    // Step 2: the bound on transient states is at least a second.
    let transient_timeout = match raw.timeout_secs {
        Some(0) => {
            let reason = "must be at least 1 (seconds)".to_string();
            return Err(invalid("replication_timeout_secs".into(), reason));
        }
        other => other.map(Duration::from_secs),
    };

    // Step 3: every peer, and no region claimed twice.
    let mut peers: Vec<PeerSettings> = Vec::with_capacity(raw.peers.len());
    for (index, entry) in raw.peers.into_iter().enumerate() {
        let field = |name: &str| format!("peers[{index}].{name}");
        let peer = validate_peer(entry, base).map_err(|(f, r)| invalid(field(f), r))?;
        if peers.iter().any(|p| p.name == peer.name) {
            let reason = format!("{:?} names another peer already", peer.name);
            return Err(invalid(field("name"), reason));
        }
        for region in &peer.regions {
            let hosted = raw.regions.as_ref().is_some_and(|r| r.contains(region));
            let other = peers.iter().find(|p| p.regions.contains(region));
            if hosted {
                let reason = format!("{region} is also in this deployment's regions");
                return Err(invalid(field("regions"), reason));
            }
            if let Some(other) = other {
                let reason = format!("{region} is also hosted by peer {:?}", other.name);
                return Err(invalid(field("regions"), reason));
            }
        }
        peers.push(peer);
    }
    Ok(Replication {
        regions: raw.regions,
        peers,
        transient_timeout,
    })
}

/// Region names, each once, at least one.
fn check_regions(regions: &[String]) -> Result<(), String> {
    if regions.is_empty() {
        return Err("must name at least one region".into());
    }
    for (i, region) in regions.iter().enumerate() {
        if Region::parse(region).is_none() {
            return Err(format!("{region:?} is not a region name"));
        }
        if regions[..i].contains(region) {
            return Err(format!("{region} is named twice"));
        }
    }
    Ok(())
}

/// Checks one `[[peers]]` entry; an error names the field and what is wrong with it.
fn validate_peer(entry: PeerEntry, base: &Path) -> Result<PeerSettings, (&'static str, String)> {
    // Step 1: name and URL.
    if entry.name.is_empty() || entry.name.chars().any(char::is_whitespace) {
        return Err(("name", "must be non-empty, without whitespace".into()));
    }
    let (https, rest) = match entry.url.split_once("://") {
        Some(("https", rest)) => (true, rest),
        Some(("http", rest)) => (false, rest),
        _ => {
            return Err((
                "url",
                format!("{:?} is not an http or https URL", entry.url),
            ))
        }
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(("url", format!("{:?} names no host", entry.url)));
    }

    // Step 2: regions, credential and public key.
    check_regions(&entry.regions).map_err(|r| ("regions", r))?;
    let id_ok = !entry.access_key_id.is_empty()
        && !entry
            .access_key_id
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | ',' | '='));
    if !id_ok {
        let reason = "must be non-empty, without whitespace, '/', ',' or '='".to_string();
        return Err(("access_key_id", reason));
    }
    if entry.secret.is_empty() {
        return Err(("secret", "must not be empty".into()));
    }
    let public_key = match &entry.public_key {
        Some(text) => match hex::decode(text.trim()) {
            Ok(bytes) if bytes.len() == PUBLIC_KEY_LEN => Some(bytes),
            _ => {
                let reason = format!("must be {} hex digits", 2 * PUBLIC_KEY_LEN);
                return Err(("public_key", reason));
            }
        },
        None => None,
    };

    // Step 3: an https peer needs the CA its certificate chains to.
    let ca_file = entry
        .ca_file
        .map(|p| if p.is_relative() { base.join(p) } else { p });
    if https && ca_file.is_none() {
        return Err(("ca_file", "an https peer needs ca_file".into()));
    }
    Ok(PeerSettings {
        name: entry.name,
        url: entry.url.trim_end_matches('/').to_string(),
        regions: entry.regions,
        access_key_id: entry.access_key_id,
        secret: entry.secret,
        public_key,
        ca_file,
    })
}
