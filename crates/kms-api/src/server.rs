//! The listener: accepts connections, speaks TLS when configured, serves HTTP/1.1 and HTTP/2 on
//! each connection with keep-alive, and on shutdown lets open requests finish.
//!
//! Connection handling follows hyper 1 and hyper-util (`server::conn::auto`); TLS is
//! tokio-rustls over the `rustls::ServerConfig` the binary builds.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::request::App;
use crate::sigv4::Verifier;
use crate::{ApiConfig, Backend};

/// The largest request body the server reads, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How long a client has to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client has to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open requests may run on after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the KMS API on `listener` until `shutdown` completes, then waits (a bounded time) for
/// the requests in flight.
pub async fn serve<B: Backend>(
    listener: TcpListener,
    backend: Arc<B>,
    config: ApiConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Everything a request needs, shared by every connection.
    let verifier = Verifier::new(config.access_keys, "kms");
    let peers = crate::peer::PeerAuth::new(&config.peers);
    let app = Arc::new(App::new(backend, verifier, peers, config.tls.is_some()));
    let tls = config.tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    info!(address = ?listener.local_addr().ok(), tls = tls.is_some(), "listening");

    // Accept until shutdown; a failed accept (such as too many open files) is logged and retried.
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    spawn_connection(app.clone(), stream, peer, tls.clone(), graceful.watcher());
                }
                Err(error) => {
                    warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }

    // Let the requests in flight finish, for a bounded time.
    info!("shutting down: no new connections");
    tokio::select! {
        () = graceful.shutdown() => info!("all connections closed"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => warn!("connections still open after the grace period"),
    }
    Ok(())
}

/// Serves one accepted connection on its own task.
fn spawn_connection<B: Backend>(
    app: Arc<App<B>>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    watcher: Watcher,
) {
    tokio::spawn(async move {
        // Small JSON answers should not wait for Nagle's algorithm.
        if let Err(error) = stream.set_nodelay(true) {
            debug!(%error, "could not set TCP_NODELAY");
        }
        let Some(acceptor) = tls else {
            return serve_io(app, TokioIo::new(stream), peer, watcher).await;
        };
        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => serve_io(app, TokioIo::new(stream), peer, watcher).await,
            Ok(Err(error)) => debug!(%peer, %error, "TLS handshake failed"),
            Err(_) => debug!(%peer, "TLS handshake timed out"),
        }
    });
}

/// Runs HTTP/1.1 or HTTP/2 (whichever the client speaks) on one connection.
async fn serve_io<B, I>(app: Arc<App<B>>, io: TokioIo<I>, peer: SocketAddr, watcher: Watcher)
where
    B: Backend,
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(req, peer).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection(io, service);
    if let Err(error) = watcher.watch(connection).await {
        debug!(%peer, %error, "connection ended with an error");
    }
}
