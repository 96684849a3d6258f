//! Where `run` delivers the messages it records: the outbox Maildir (the
//! default), an SMTP server (`smtp://`, `smtps://`, through `lettre`) or a
//! local `sendmail`. The Maildir writer is in [`super::outbox`]; this
//! module is the other two, behind [`Deliver`], and the `--deliver` text.
//!
//! A server delivery is not idempotent the way a Maildir file name is: a
//! message handed over twice arrives twice. So the journal marks a message
//! as being handed over right before its data and final "." go out, in one
//! write (after the server took the envelope), and a run that finds that
//! mark counts it as delivered and does not send it again (see docs/engine.md
//! "The outbox"). Which certificate authorities TLS trusts is [`super::tls`].

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;

use crate::domain::{DomainError, Result};

/// How `--deliver` TLS works for SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://`: STARTTLS when the server offers it, else plain.
    Opportunistic,
    /// `smtp://…?tls=required`: STARTTLS or no delivery.
    Required,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub tls: TlsMode,
}

/// A `--deliver` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Maildir(PathBuf),
    Smtp(SmtpTarget),
    Sendmail(PathBuf),
}

/// Where `sendmail` is when `--deliver sendmail` names no path.
pub const SENDMAIL: &str = "/usr/sbin/sendmail";

impl Target {
    /// Reads `maildir:DIR`, `smtp://[USER@]HOST[:PORT][?tls=required]`,
    /// `smtps://[USER@]HOST[:PORT]`, `sendmail` or `sendmail:PATH`. The
    /// error is one sentence.
    pub fn parse(text: &str) -> std::result::Result<Target, String> {
        if let Some(dir) = text.strip_prefix("maildir:") {
            if dir.is_empty() {
                return Err("--deliver maildir:DIR needs a folder".into());
            }
            return Ok(Target::Maildir(PathBuf::from(dir)));
        }
        if text == "sendmail" {
            return Ok(Target::Sendmail(PathBuf::from(SENDMAIL)));
        }
        if let Some(path) = text.strip_prefix("sendmail:") {
            if path.is_empty() {
                return Err("--deliver sendmail:PATH needs the path of sendmail".into());
            }
            return Ok(Target::Sendmail(PathBuf::from(path)));
        }
        let (implicit, rest) = if let Some(rest) = text.strip_prefix("smtps://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("smtp://") {
            (false, rest)
        } else {
            return Err(format!(
                "--deliver takes maildir:DIR, smtp://[USER@]HOST[:PORT], smtps://[USER@]HOST[:PORT] or sendmail[:PATH], not '{text}'"
            ));
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err(format!("--deliver {text}: an SMTP address has no path"));
        }
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user), hostport),
            None => (None, authority),
        };
        if user.is_some_and(|u| u.contains(':')) {
            return Err("a password never goes on the command line: set SEQTUI_SMTP_PASSWORD or name a file in the rules file ([smtp] password_file)".into());
        }
        let user = user
            .map(|u| u.replace("%40", "@"))
            .filter(|u| !u.is_empty());
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            match v6.split_once(']') {
                Some((h, p)) => (h, p.strip_prefix(':')),
                None => return Err(format!("--deliver {text}: an unclosed [ in the host")),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(format!("--deliver {text} names no host"));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("--deliver {text}: '{p}' is not a port"))?,
            None if implicit => 465,
            None => 25,
        };
        let tls = match (implicit, query) {
            (true, None) => TlsMode::Implicit,
            (false, None) | (false, Some("tls=opportunistic")) => TlsMode::Opportunistic,
            (false, Some("tls=required")) => TlsMode::Required,
            (_, Some(q)) => {
                return Err(format!(
                    "--deliver {text}: '{q}' is not understood (smtp:// takes ?tls=required; smtps:// is always TLS)"
                ));
            }
        };
        Ok(Target::Smtp(SmtpTarget {
            host: host.to_string(),
            port,
            user,
            tls,
        }))
    }

    /// The target as shown in reports (never a password).
    pub fn describe(&self) -> String {
        match self {
            Target::Maildir(dir) => dir.display().to_string(),
            Target::Sendmail(path) => format!("sendmail:{}", path.display()),
            Target::Smtp(t) => {
                let scheme = if t.tls == TlsMode::Implicit {
                    "smtps"
                } else {
                    "smtp"
                };
                let user = t.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
                let query = if t.tls == TlsMode::Required {
                    "?tls=required"
                } else {
                    ""
                };
                format!("{scheme}://{user}{}:{}{query}", t.host, t.port)
            }
        }
    }
}

/// What a server answered to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handed {
    /// Accepted (SMTP: 250 after the data; sendmail: exit status 0).
    Accepted,
    /// Deferred (SMTP 4xx; sendmail's temporary failure): try later.
    Deferred(String),
    /// Refused for good (SMTP 5xx): `code` (`550`) and the server's text.
    Refused { code: String, text: String },
}

/// A server-side delivery: hands one message to a server.
pub trait Deliver {
    /// Sends `message` from `from` to `to`. `handing_over` is called once,
    /// right before the message's data leaves this process (after the
    /// server accepted the envelope); when it fails nothing is sent. An
    /// `Err` is a failure of the connection or the process that stops the
    /// run (the message stays in the journal).
    fn hand_over(
        &mut self,
        from: &str,
        to: &str,
        message: &[u8],
        handing_over: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Handed>;

    /// Opens what the deliveries need (an SMTP session), before anything
    /// is recorded: a server that cannot be reached, or whose certificate
    /// is not trusted, fails the run while every step is still due.
    fn open(&mut self) -> Result<()> {
        Ok(())
    }

    /// Closes what is open (an SMTP session says QUIT).
    fn close(&mut self) {}
}

/// An SMTP server, one session kept open across messages.
pub struct Smtp {
    target: SmtpTarget,
    password: Option<String>,
    conn: Option<SmtpConnection>,
}

impl Smtp {
    pub fn new(target: SmtpTarget, password: Option<String>) -> Smtp {
        Smtp {
            target,
            password,
            conn: None,
        }
    }

    fn describe(&self) -> String {
        Target::Smtp(self.target.clone()).describe()
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> DomainError {
        DomainError::Storage(format!(
            "cannot deliver through {}: {what}: {e}",
            self.describe()
        ))
    }

    /// A TLS failure as one sentence; a certificate seqtui does not trust
    /// says how to trust a private authority.
    fn tls_fail(&self, what: &str, e: &lettre::transport::smtp::Error) -> DomainError {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let more = s.to_string();
            if !text.contains(&more) {
                text = format!("{text}: {more}");
            }
            source = s.source();
        }
        match super::tls::untrusted_hint(&text) {
            Some(hint) => self.fail(what, format!("{hint}: {text}")),
            None => self.fail(what, text),
        }
    }

    fn connect(&mut self) -> Result<SmtpConnection> {
        let t = &self.target;
        let roots = super::tls::extra_roots().map_err(DomainError::Storage)?;
        let tls = || {
            let mut builder = TlsParameters::builder(t.host.clone());
            for root in &roots {
                let cert = Certificate::from_der(root.to_vec())
                    .map_err(|e| self.fail("a certificate of SEQTUI_CA_FILE is not usable", e))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build()
                .map_err(|e| self.fail("TLS setup failed", e))
        };
        let hello = ClientId::Domain("localhost".into());
        let wrapper = match t.tls {
            TlsMode::Implicit => Some(tls()?),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (t.host.as_str(), t.port),
            Some(Duration::from_secs(60)),
            &hello,
            wrapper.as_ref(),
            None,
        )
        .map_err(|e| match t.tls {
            TlsMode::Implicit => self.tls_fail("cannot connect over TLS", &e),
            _ => self.fail("cannot connect", e),
        })?;
        match t.tls {
            TlsMode::Required => {
                if !conn.can_starttls() {
                    return Err(self.fail(
                        "TLS is required (?tls=required)",
                        "the server does not offer STARTTLS, so nothing was sent to it",
                    ));
                }
                conn.starttls(&tls()?, &hello)
                    .map_err(|e| self.tls_fail("STARTTLS failed", &e))?;
            }
            TlsMode::Opportunistic if conn.can_starttls() => {
                conn.starttls(&tls()?, &hello)
                    .map_err(|e| self.tls_fail("STARTTLS failed", &e))?;
            }
            _ => {}
        }
        if let Some(user) = &t.user {
            let password = self.password.clone().ok_or_else(|| {
                self.fail(
                    "no password",
                    "set SEQTUI_SMTP_PASSWORD or [smtp] password_file in the rules file",
                )
            })?;
            conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(user.clone(), password),
            )
            .map_err(|e| self.fail("the server refused the login", e))?;
        }
        Ok(conn)
    }
}

/// A negative SMTP answer as what it means for the message; `None` for a
/// failure that is no answer (network, TLS, protocol).
fn answer(e: &lettre::transport::smtp::Error) -> Option<Handed> {
    let code = e.status()?;
    let text = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    if e.is_transient() {
        Some(Handed::Deferred(format!("{code} {text}")))
    } else if e.is_permanent() {
        Some(Handed::Refused {
            code: code.to_string(),
            text,
        })
    } else {
        None
    }
}

impl Deliver for Smtp {
    fn hand_over(
        &mut self,
        from: &str,
        to: &str,
        message: &[u8],
        handing_over: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Handed> {
        let to_address = match to.parse::<Address>() {
            Ok(a) => a,
            Err(e) => {
                return Ok(Handed::Refused {
                    code: "553".into(),
                    text: format!("5.1.3 the address '{to}' cannot be used in SMTP: {e}"),
                });
            }
        };
        let from_address = from
            .parse::<Address>()
            .map_err(|e| self.fail(&format!("the sender '{from}' cannot be used in SMTP"), e))?;
        let mut conn = match self.conn.take() {
            Some(c) if !c.has_broken() => c,
            _ => self.connect()?,
        };
        // The envelope: a negative answer here means nothing was sent.
        let envelope = (|| {
            conn.command(Mail::new(Some(from_address), vec![]))?;
            conn.command(Rcpt::new(to_address, vec![]))?;
            conn.command(Data)
        })();
        if let Err(e) = envelope {
            conn.abort();
            return match answer(&e) {
                Some(handed) => Ok(handed),
                None => Err(self.fail("the session failed", e)),
            };
        }
        // The wire text is made before the mark, so that nothing but the
        // write itself stands between the mark and the data leaving.
        let wire = std::str::from_utf8(message)
            .ok()
            .map(|text| DataAndDot(text).to_string());
        if let Err(e) = handing_over() {
            // Closing before the final "." makes the server drop the data.
            conn.abort();
            return Err(e);
        }
        // The data and its final "." in one write, right after the mark:
        // a run killed after the mark has (but for the microseconds until
        // this write) handed the whole message over, so the mark means
        // "sent, answer not seen". One write also keeps the final "." from
        // waiting for the server's delayed ACK of the data (Nagle), which
        // two writes cost on every message.
        let sent = match &wire {
            Some(wire) => conn.command(Wire(wire)),
            None => conn.message(message),
        };
        match sent {
            Ok(_) => {
                self.conn = Some(conn);
                Ok(Handed::Accepted)
            }
            Err(e) => {
                conn.abort();
                match answer(&e) {
                    Some(handed) => Ok(handed),
                    None => Err(self.fail("the session failed while sending a message", e)),
                }
            }
        }
    }

    fn open(&mut self) -> Result<()> {
        if self.conn.as_ref().is_none_or(|c| c.has_broken()) {
            self.conn = Some(self.connect()?);
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.quit();
        }
    }
}

/// A message's data as it goes over the wire after DATA's 354: lines
/// starting with "." get another (RFC 5321 4.5.2), then the final ".".
/// Written by `SmtpConnection::command`, which writes it in one go and
/// reads the server's answer.
struct DataAndDot<'a>(&'a str);

impl std::fmt::Display for DataAndDot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        let mut at_line_start = true;
        let mut rest = text;
        while !rest.is_empty() {
            if at_line_start && rest.starts_with('.') {
                f.write_str(".")?;
            }
            match rest.find("\r\n") {
                Some(end) => {
                    f.write_str(&rest[..end + 2])?;
                    rest = &rest[end + 2..];
                    at_line_start = true;
                }
                None => {
                    f.write_str(rest)?;
                    rest = "";
                    at_line_start = false;
                }
            }
        }
        if at_line_start && !text.is_empty() {
            f.write_str(".\r\n")
        } else {
            f.write_str("\r\n.\r\n")
        }
    }
}

/// Text already in its wire form (see [`DataAndDot`]), written as it is.
struct Wire<'a>(&'a str);

impl std::fmt::Display for Wire<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A local `sendmail` (`sendmail -i -f FROM -- TO`, the message on stdin).
pub struct Sendmail {
    pub path: PathBuf,
}

/// sysexits.h: a user or host that does not exist.
const EX_NOUSER: i32 = 67;
const EX_NOHOST: i32 = 68;

/// The first SMTP answer (`550 5.1.1 user unknown`) a sendmail that
/// speaks SMTP itself (msmtp: "server message: 550 …") quotes on stderr:
/// its code and the rest of its line. Its exit status says less (msmtp
/// exits 65 for a refused recipient and 69 for a deferred one).
fn quoted_answer(said: &str) -> Option<(String, String)> {
    said.lines().find_map(|line| {
        line.split_whitespace().enumerate().find_map(|(i, word)| {
            // `550` or, on a continued answer, `550-…`.
            let code = word.get(..3)?;
            let after = &word[3..];
            let is_code = code.starts_with(['4', '5'])
                && code.bytes().all(|b| b.is_ascii_digit())
                && (after.is_empty() || after.starts_with('-'));
            is_code.then(|| {
                let mut rest: Vec<&str> = Vec::new();
                if let Some(more) = after.strip_prefix('-').filter(|m| !m.is_empty()) {
                    rest.push(more);
                }
                rest.extend(line.split_whitespace().skip(i + 1));
                (code.to_string(), rest.join(" "))
            })
        })
    })
}

impl Deliver for Sendmail {
    fn hand_over(
        &mut self,
        from: &str,
        to: &str,
        message: &[u8],
        handing_over: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Handed> {
        let fail = |e: std::io::Error| {
            DomainError::Storage(format!("cannot run {}: {e}", self.path.display()))
        };
        let mut child = Command::new(&self.path)
            .args(["-i", "-f", from, "--", to])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(fail)?;
        if let Err(e) = handing_over() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        // sendmail reads lines ending in LF.
        let text: Vec<u8> = {
            let mut out = Vec::with_capacity(message.len());
            let mut i = 0;
            while i < message.len() {
                if message[i] == b'\r' && message.get(i + 1) == Some(&b'\n') {
                    i += 1;
                    continue;
                }
                out.push(message[i]);
                i += 1;
            }
            out
        };
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&text).map_err(fail)?;
        }
        let out = child.wait_with_output().map_err(fail)?;
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Ok(match out.status.code() {
            Some(0) => Handed::Accepted,
            Some(_) if quoted_answer(&said).is_some() => {
                let (code, text) = quoted_answer(&said).unwrap_or_default();
                if code.starts_with('5') {
                    Handed::Refused { code, text }
                } else {
                    Handed::Deferred(format!("{code} {text}"))
                }
            }
            Some(EX_NOUSER) => Handed::Refused {
                code: "550".into(),
                text: format!("5.1.1 user unknown ({said})"),
            },
            Some(EX_NOHOST) => Handed::Refused {
                code: "550".into(),
                text: format!("5.1.2 host unknown ({said})"),
            },
            status => Handed::Deferred(format!(
                "sendmail exited with {}: {said}",
                status.map_or("a signal".into(), |s| s.to_string())
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sendmail_quoting_the_server_is_read_by_the_answer() {
        let said = "msmtp: recipient address x@y.example not accepted by the server\n\
                    msmtp: server message: 550 5.1.1 user unknown\nmsmtp: could not send mail";
        assert_eq!(
            quoted_answer(said),
            Some(("550".into(), "5.1.1 user unknown".into()))
        );
        assert_eq!(
            quoted_answer("msmtp: server message: 451-4.3.0 later"),
            Some(("451".into(), "4.3.0 later".into()))
        );
        assert_eq!(quoted_answer("sendmail: cannot open /etc/mail: 2025"), None);
        assert_eq!(quoted_answer("queue 4567 full"), None);
    }

    #[test]
    fn data_is_dot_stuffed_and_ends_with_one_dot() {
        let wire = |t: &str| DataAndDot(t).to_string();
        assert_eq!(wire("A: b\r\n\r\nhi\r\n"), "A: b\r\n\r\nhi\r\n.\r\n");
        assert_eq!(
            wire("A: b\r\n\r\n.hi\r\n..\r\n."),
            "A: b\r\n\r\n..hi\r\n...\r\n..\r\n.\r\n"
        );
        assert_eq!(wire(".x"), "..x\r\n.\r\n");
        assert_eq!(wire(""), "\r\n.\r\n");
    }

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("smtp://127.0.0.1:2525").unwrap(),
            Target::Smtp(SmtpTarget {
                host: "127.0.0.1".into(),
                port: 2525,
                user: None,
                tls: TlsMode::Opportunistic
            })
        );
        let t = Target::parse("smtp://me%40x.com@mail.x.com?tls=required").unwrap();
        assert_eq!(t.describe(), "smtp://me@x.com@mail.x.com:25?tls=required");
        assert_eq!(
            Target::parse("smtps://u@h").unwrap().describe(),
            "smtps://u@h:465"
        );
        assert!(
            Target::parse("smtp://u:secret@h")
                .unwrap_err()
                .contains("SEQTUI_SMTP_PASSWORD")
        );
        assert!(Target::parse("smtps://h?tls=required").is_err());
        assert!(Target::parse("smtp://h:0").is_err());
        assert!(Target::parse("ftp://h").is_err());
        assert_eq!(
            Target::parse("sendmail").unwrap(),
            Target::Sendmail(PathBuf::from(SENDMAIL))
        );
        assert_eq!(
            Target::parse("maildir:out").unwrap(),
            Target::Maildir(PathBuf::from("out"))
        );
    }
}
