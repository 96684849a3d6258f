//! Which certificate authorities `run --deliver smtp://…` / `smtps://…`,
//! `ingest imap://…` / `imaps://…` and a PostgreSQL workspace whose URL
//! says `sslmode=verify-ca|verify-full` trust: the built-in roots, plus the
//! certificates of the PEM file named by `SEQTUI_CA_FILE` (a team's
//! private authority, a test's throwaway one). Reads that file; nothing
//! else.

use std::path::{Path, PathBuf};

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
    pem_certificates(&PathBuf::from(path), &format!("named by {CA_FILE_VAR}"))
}

/// The certificates (DER) of a PEM file, at least one; `named_by` says
/// where its name came from, for the one-sentence error.
pub fn pem_certificates(
    path: &Path,
    named_by: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read the certificate authority file {} {named_by}: {e}",
            path.display()
        )
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            format!(
                "{} ({named_by}) is not a PEM file of certificates: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "{} ({named_by}) holds no certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// What to put before a TLS failure's text when the server's certificate
/// was refused: why, in words, and for an unknown authority how to trust
/// a private one.
pub fn untrusted_hint(failure: &str) -> Option<String> {
    let lower = failure.to_ascii_lowercase();
    if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        Some(format!(
            "the server's certificate is not signed by an authority seqtui trusts (for a private authority, set {CA_FILE_VAR} to its certificate's PEM file)"
        ))
    } else if lower.contains("notvalidforname") {
        Some("the server's certificate does not name the host in the address".into())
    } else if lower.contains("expired") || lower.contains("notvalidyet") {
        Some("the server's certificate is outside its validity dates".into())
    } else if lower.contains("invalid peer certificate") || lower.contains("certificate") {
        Some(format!(
            "the server's certificate was not accepted (a private authority is trusted through {CA_FILE_VAR})"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_failures_say_why() {
        let hint = |t: &str| untrusted_hint(t).unwrap_or_default();
        assert!(hint("invalid peer certificate: UnknownIssuer").contains(CA_FILE_VAR));
        assert!(hint("invalid peer certificate: NotValidForName").contains("does not name"));
        assert!(hint("invalid peer certificate: Expired").contains("validity"));
        assert_eq!(untrusted_hint("Connection refused (os error 111)"), None);
    }
}
