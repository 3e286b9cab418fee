//! `slipway build` over `tcp://` and `tcp://` with mutual TLS, the
//! buildkitd transports.
//!
//! No standalone buildkitd is packaged here, so a loopback proxy stands in
//! for one: it accepts a TCP (optionally TLS) connection, opens the Docker
//! engine's `/grpc` endpoint (an HTTP/1.1 upgrade to h2c, what the engine
//! does for buildx) and copies bytes both ways. Through it, slipway speaks
//! plain gRPC to the control API and runs its session over
//! `Control.Session`, exactly as it would with a buildkitd.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use support::slipway_build::{OciArchive, TempDir, engine_socket, slipway};
use support::upgrade_proxy::UpgradeProxy;

/// A small context whose image shows the build really ran.
fn context(dir: &Path) -> PathBuf {
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("greeting.txt"), "over the wire\n").unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox:local\nCOPY greeting.txt /\nRUN cat /greeting.txt > /copied\nCMD [\"cat\", \"/copied\"]\n",
    )
    .unwrap();
    ctx
}

/// Reads one file out of an OCI archive's layers.
fn layer_file(archive: &Path, wanted: &str) -> Option<Vec<u8>> {
    let oci = OciArchive::read(archive).ok()?;
    for (_, blob) in oci.blobs_decompressed() {
        let mut layer = tar::Archive::new(&blob[..]);
        let Ok(entries) = layer.entries() else {
            continue;
        };
        for mut e in entries.flatten() {
            let path = e
                .path()
                .ok()?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_owned();
            if path == wanted {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).ok()?;
                return Some(data);
            }
        }
    }
    None
}

fn build_through(addr: &str, extra: &[String], dir: &Path) -> PathBuf {
    let ctx = context(dir);
    let out = dir.join("image.tar");
    let res = slipway()
        .args(["build", "--addr", addr, "--progress", "plain", "--no-cache"])
        .args(extra)
        .arg("-o")
        .arg(format!("type=oci,dest={}", out.display()))
        .arg(&ctx)
        .env_remove("BUILDKIT_HOST")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "slipway build via {addr} failed:\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

#[test]
fn tcp_transport_runs_control_and_session_over_grpc() {
    let tmp = TempDir::new("tcp");
    let dir = &tmp.path;
    let (_proxy, port) = UpgradeProxy::tcp(None, engine_socket());
    let out = build_through(&format!("tcp://127.0.0.1:{port}"), &[], dir);
    assert_eq!(
        layer_file(&out, "copied").as_deref(),
        Some(&b"over the wire\n"[..])
    );
}

/// A CA, a server certificate for `localhost` and a client certificate,
/// made with the openssl command line.
struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_pki(dir: &Path) -> Pki {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=slipway test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    for (name, ext) in [
        (
            "server",
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={name}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
    Pki {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}

fn acceptor(pki: &Pki) -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pki.server_cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&pki.ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[test]
fn tcp_transport_with_mutual_tls() {
    let tmp = TempDir::new("tls");
    let dir = &tmp.path;
    let pki = make_pki(dir);
    let (_proxy, port) = UpgradeProxy::tcp(Some(acceptor(&pki)), engine_socket());
    let tls = |flag: &str, p: &Path| [flag.to_owned(), p.display().to_string()];
    let mut flags: Vec<String> = Vec::new();
    flags.extend(tls("--tls-ca", &pki.ca));
    flags.extend(tls("--tls-cert", &pki.client_cert));
    flags.extend(tls("--tls-key", &pki.client_key));
    flags.extend(["--tls-server-name".to_owned(), "localhost".to_owned()]);
    let out = build_through(&format!("tcp://127.0.0.1:{port}"), &flags, dir);
    assert_eq!(
        layer_file(&out, "copied").as_deref(),
        Some(&b"over the wire\n"[..])
    );

    // Without the client certificate the server refuses the handshake, and
    // slipway says it could not connect (exit 2), leaving no output.
    let ctx = context(dir);
    let refused = dir.join("refused.tar");
    let res = slipway()
        .args(["build", "--addr", &format!("tcp://127.0.0.1:{port}")])
        .args(["--tls-ca", &pki.ca.display().to_string()])
        .args(["--tls-server-name", "localhost", "--progress", "quiet"])
        .arg("-o")
        .arg(format!("type=oci,dest={}", refused.display()))
        .arg(&ctx)
        .output()
        .unwrap();
    assert_eq!(
        res.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!refused.exists());
}
