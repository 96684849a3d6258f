//! Which certificate authorities `run --deliver smtp://…` / `smtps://…`
//! and `ingest imap://…` / `imaps://…` trust: the built-in roots, plus the
//! certificates of the PEM file named by `SEQTUI_CA_FILE` (a team's
//! private authority, a test's throwaway one). Reads that file; nothing
//! else.

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The environment variable naming a PEM file of extra trusted
/// certificate authorities.
pub const CA_FILE_VAR: &str = "SEQTUI_CA_FILE";

/// The certificates (DER) of the file named by `SEQTUI_CA_FILE`; none when
/// it is unset or empty. The error is one sentence.
pub fn extra_roots() -> Result<Vec<CertificateDer<'static>>, String> {
    let Some(path) = std::env::var_os(CA_FILE_VAR).filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let path = PathBuf::from(path);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read the certificate authority file {} named by {CA_FILE_VAR}: {e}",
            path.display()
        )
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            format!(
                "{} (named by {CA_FILE_VAR}) is not a PEM file of certificates: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "{} (named by {CA_FILE_VAR}) holds no certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// What to add to a TLS failure's sentence when the server's certificate
/// was not trusted (a self-signed or privately signed certificate).
pub fn untrusted_hint(failure: &str) -> Option<String> {
    let lower = failure.to_ascii_lowercase();
    let untrusted = ["unknownissuer", "invalid peer certificate", "certificate"]
        .iter()
        .any(|w| lower.contains(w));
    untrusted.then(|| {
        format!(
            "the server's certificate is not signed by an authority seqtui trusts (for a private authority, set {CA_FILE_VAR} to its certificate's PEM file)"
        )
    })
}
