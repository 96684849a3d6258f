//! TLS to PostgreSQL as the URL's `sslmode` says, with libpq's meaning of
//! each value (decided so: a team pastes the URL its database service
//! gives, written for libpq):
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | – |
//! | `allow`, `prefer` (no `sslmode`) | when the server offers it, else plain | not checked |
//! | `require` | always (else no connection) | not checked |
//! | `verify-ca` | always | signed by a trusted authority |
//! | `verify-full` | always | signed by a trusted authority and naming the host |
//!
//! Trusted authorities: the system's, `SEQTUI_CA_FILE`'s and the URL's
//! `sslrootcert` file's. (`allow` tries plain first in libpq; here it is
//! `prefer`.) The PostgreSQL driver knows only `disable`, `prefer` and
//! `require`: the rest of libpq's TLS parameters are taken off the URL
//! here before it reads it.

use std::path::PathBuf;
use std::sync::Arc;

use postgres::config::SslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::domain::DomainError;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing (libpq's `prefer` and `require`): the connection is
    /// encrypted, the server not authenticated.
    Nothing,
    /// The chain up to a trusted authority (`verify-ca`).
    Authority,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// What the URL asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UrlTls {
    /// The driver's mode (`verify-*` are `Require` for it).
    pub mode: SslMode,
    pub check: Check,
    /// `sslrootcert`: a PEM file of authorities trusted besides the others.
    pub root_file: Option<PathBuf>,
    /// The `sslmode` as written, for messages (`None` when absent).
    pub written: Option<String>,
}

/// Takes libpq's TLS parameters off `url`: returns the URL left for the
/// driver and what they ask. An `sslmode` libpq does not know is a usage
/// error.
pub(super) fn split(url: &str) -> Result<(String, UrlTls), DomainError> {
    let mut tls = UrlTls {
        mode: SslMode::Prefer,
        check: Check::Nothing,
        root_file: None,
        written: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), tls));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                let value = percent_decoded(value);
                (tls.mode, tls.check) = match value.as_str() {
                    "disable" => (SslMode::Disable, Check::Nothing),
                    "allow" | "prefer" => (SslMode::Prefer, Check::Nothing),
                    "require" => (SslMode::Require, Check::Nothing),
                    "verify-ca" => (SslMode::Require, Check::Authority),
                    "verify-full" => (SslMode::Require, Check::Full),
                    other => {
                        return Err(DomainError::Invalid(format!(
                            "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                        )));
                    }
                };
                tls.written = Some(value);
            }
            "sslrootcert" => tls.root_file = Some(PathBuf::from(percent_decoded(value))),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, tls))
}

/// `%XX` escapes decoded (a path in a URL may carry them); anything else
/// is kept as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The connector for what the URL asks.
pub(super) fn connector(tls: &UrlTls) -> Result<MakeRustlsConnect, DomainError> {
    // The process's provider: ring, the one rustls is built with here.
    let builder = ClientConfig::builder();
    let provider = builder.crypto_provider().clone();
    let chain = match tls.check {
        Check::Nothing => None,
        Check::Authority | Check::Full => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(tls)?), provider.clone())
                .build()
                .map_err(|e| DomainError::Storage(format!("TLS to PostgreSQL: {e}")))?,
        ),
    };
    let verifier = Verifier {
        check: tls.check,
        chain,
        provider,
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The system's authorities, `SEQTUI_CA_FILE`'s and `sslrootcert`'s. A
/// file that cannot be read or holds no certificate is one sentence,
/// exit 1, as for SMTP and IMAP.
fn roots(tls: &UrlTls) -> Result<RootCertStore, DomainError> {
    let mut roots = RootCertStore::empty();
    if let Ok(system) = rustls_connector::rustls_native_certs::load_native_certs() {
        roots.add_parsable_certificates(system);
    }
    roots.add_parsable_certificates(crate::tls::extra_roots().map_err(DomainError::Storage)?);
    if let Some(file) = &tls.root_file {
        let certs = crate::tls::pem_certificates(file, "named by the URL's sslrootcert")
            .map_err(DomainError::Storage)?;
        roots.add_parsable_certificates(certs);
    }
    Ok(roots)
}

/// Checks the server's certificate as much as `check` says. The
/// handshake's signatures are always checked, so even unchecked the
/// connection is encrypted to whoever holds the certificate's key.
#[derive(Debug)]
struct Verifier {
    check: Check,
    /// The chain's check, for `verify-ca` and `verify-full`.
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            // `verify-ca`: any host, as long as the chain holds.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.check == Check::Authority => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_tls_parameters_come_off_the_url() {
        let (rest, tls) = split(
            "postgres://u@h:5/db?sslmode=verify-full&connect_timeout=5&sslrootcert=/a%20b.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h:5/db?connect_timeout=5");
        assert_eq!((tls.mode, tls.check), (SslMode::Require, Check::Full));
        assert_eq!(tls.root_file, Some(PathBuf::from("/a b.pem")));
        assert_eq!(tls.written.as_deref(), Some("verify-full"));

        let (rest, tls) = split("postgres://u@h/db").unwrap();
        assert_eq!(rest, "postgres://u@h/db");
        assert_eq!((tls.mode, tls.check), (SslMode::Prefer, Check::Nothing));
        let (_, tls) = split("postgres://u@h/db?sslmode=verify-ca").unwrap();
        assert_eq!((tls.mode, tls.check), (SslMode::Require, Check::Authority));
        let (rest, tls) = split("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(rest, "postgres://u@h/db");
        assert_eq!(tls.mode, SslMode::Disable);
        assert!(matches!(
            split("postgres://u@h/db?sslmode=sometimes"),
            Err(DomainError::Invalid(_))
        ));
    }
}
