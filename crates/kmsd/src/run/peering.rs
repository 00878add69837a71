//! Wiring of replication between deployments: this deployment's peer key pair (sealed under
//! the root key in the data folder), the HTTP transport to the peers, and the topology the
//! service delivers by (README "Replication between deployments").

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use tracing::info;

use kms_api::peer::{PeerClient, PeerCredential};
use kms_crypto::peer::PeerKeyPair;
use kms_crypto::Sealer;
use kms_service::{Peer, Peering, Topology};

use super::RunError;
use crate::config::peers::{PeerSettings, Replication};

/// The file of the sealed peer private key inside the data directory.
pub const PEER_KEY_FILE: &str = "peer.key";

/// The service's peering and the API layer's peer credentials, when the configuration names
/// hosted regions or peers; `None` serves every region here, as without the feature.
pub fn build(
    replication: &Replication,
    sealer: &Sealer,
    data_dir: &Path,
) -> Result<Option<(Peering, Vec<PeerCredential>)>, RunError> {
    if replication.regions.is_none() && replication.peers.is_empty() {
        return Ok(None);
    }

    // Step 1: the key pair peers encrypt material to.
    let key_pair = load_or_create_key(sealer, data_dir)?;
    info!(public_key = %hex::encode(key_pair.public_key()), "peer public key");

    // Step 2: the transport, with the CAs of the https peers.
    let credentials: Vec<PeerCredential> = replication.peers.iter().map(credential).collect();
    let tls = client_tls(&replication.peers)?;
    let link = Arc::new(PeerClient::new(credentials.clone(), tls));

    // Step 3: the topology.
    let topology = Topology {
        hosted: replication.regions.clone(),
        peers: replication
            .peers
            .iter()
            .map(|p| Peer {
                name: p.name.clone(),
                regions: p.regions.clone(),
                public_key: p.public_key.clone(),
            })
            .collect(),
        transient_timeout: replication.transient_timeout,
    };
    let peering = Peering {
        topology,
        link,
        key_pair,
    };
    Ok(Some((peering, credentials)))
}

/// The API layer's view of a peer; requests to it are signed for its first region.
fn credential(peer: &PeerSettings) -> PeerCredential {
    PeerCredential {
        name: peer.name.clone(),
        url: peer.url.clone(),
        region: peer.regions.first().cloned().unwrap_or_default(),
        access_key_id: peer.access_key_id.clone(),
        secret: peer.secret.clone(),
    }
}

/// The peer key pair of the data directory, created (mode 0600) on first start.
fn load_or_create_key(sealer: &Sealer, data_dir: &Path) -> Result<PeerKeyPair, RunError> {
    let path = data_dir.join(PEER_KEY_FILE);
    let fail = |message: String| RunError::Peers(format!("{}: {message}", path.display()));
    match std::fs::read(&path) {
        Ok(sealed) => PeerKeyPair::open_sealed(sealer, &sealed)
            .map_err(|e| fail(format!("cannot open the peer key under this root key: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pair = PeerKeyPair::generate().map_err(|e| fail(e.to_string()))?;
            let sealed = pair.seal(sealer).map_err(|e| fail(e.to_string()))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| fail(e.to_string()))?;
            file.write_all(&sealed)
                .and_then(|()| file.sync_all())
                .map_err(|e| fail(e.to_string()))?;
            info!(path = %path.display(), "generated the peer key pair");
            Ok(pair)
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// The TLS client configuration trusting the CA files of the https peers, if there are any.
fn client_tls(peers: &[PeerSettings]) -> Result<Option<Arc<rustls::ClientConfig>>, RunError> {
    let files: Vec<&Path> = peers.iter().filter_map(|p| p.ca_file.as_deref()).collect();
    if files.is_empty() {
        return Ok(None);
    }
    let mut roots = rustls::RootCertStore::empty();
    for path in files {
        let fail = |m: String| RunError::Peers(format!("CA file {}: {m}", path.display()));
        let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| fail(e.to_string()))?;
            roots.add(cert).map_err(|e| fail(e.to_string()))?;
        }
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}
