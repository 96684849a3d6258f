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

/// Why a server's certificate was refused, read from a TLS failure's
/// text (the drivers hand the handshake's error on as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed by an authority seqtui trusts.
    UnknownAuthority,
    /// It does not name the host in the address.
    OtherHost,
    /// Outside its validity dates.
    Dates,
    /// Refused for another reason.
    Other,
}

impl Refusal {
    /// The refusal in `failure`, if the failure is one.
    pub fn of(failure: &str) -> Option<Refusal> {
        let lower = failure.to_ascii_lowercase();
        if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
            Some(Refusal::UnknownAuthority)
        } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            Some(Refusal::OtherHost)
        } else if lower.contains("expired") || lower.contains("notvalidyet") {
            Some(Refusal::Dates)
        } else if lower.contains("invalid peer certificate") || lower.contains("certificate") {
            Some(Refusal::Other)
        } else {
            None
        }
    }

    /// The refusal a rustls error (0.23, as the PostgreSQL connection
    /// uses) carries, read from its type.
    pub fn of_rustls(error: &rustls::Error) -> Option<Refusal> {
        use rustls::CertificateError as C;
        match error {
            rustls::Error::InvalidCertificate(e) => Some(match e {
                C::UnknownIssuer => Refusal::UnknownAuthority,
                C::NotValidForName | C::NotValidForNameContext { .. } => Refusal::OtherHost,
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => Refusal::Dates,
                _ => Refusal::Other,
            }),
            _ => None,
        }
    }

    /// The refusal in an error's chain of causes, read from the rustls
    /// error's type wherever it is (itself, or inside an I/O error).
    pub fn in_chain(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
        let mut cause = Some(error);
        while let Some(e) = cause {
            let rustls = e.downcast_ref::<rustls::Error>().or_else(|| {
                e.downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            });
            if let Some(r) = rustls {
                return Refusal::of_rustls(r);
            }
            cause = e.source();
        }
        None
    }

    /// Why, in words, and for an authority how to trust a private one.
    pub fn sentence(self) -> String {
        match self {
            Refusal::UnknownAuthority => format!(
                "the server's certificate is not signed by an authority seqtui trusts (for a private authority, set {CA_FILE_VAR} to its certificate's PEM file)"
            ),
            Refusal::OtherHost => {
                "the server's certificate does not name the host in the address".into()
            }
            Refusal::Dates => "the server's certificate is outside its validity dates".into(),
            Refusal::Other => format!(
                "the server's certificate was not accepted (a private authority is trusted through {CA_FILE_VAR})"
            ),
        }
    }

    /// Whether trusting another authority could help.
    pub fn authority(self) -> bool {
        matches!(self, Refusal::UnknownAuthority | Refusal::Other)
    }
}

/// What to put before a TLS failure's text when the server's certificate
/// was refused (see [`Refusal`]).
pub fn untrusted_hint(failure: &str) -> Option<String> {
    Refusal::of(failure).map(Refusal::sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_failures_say_why() {
        let hint = |t: &str| untrusted_hint(t).unwrap_or_default();
        assert!(hint("invalid peer certificate: UnknownIssuer").contains(CA_FILE_VAR));
        assert!(hint("invalid peer certificate: NotValidForName").contains("does not name"));
        assert!(
            hint("invalid peer certificate: certificate not valid for name \"127.0.0.1\"")
                .contains("does not name")
        );
        assert!(hint("invalid peer certificate: Expired").contains("validity"));
        assert_eq!(untrusted_hint("Connection refused (os error 111)"), None);
    }
}
