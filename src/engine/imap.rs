//! `ingest imap://USER@HOST[:PORT]/MAILBOX`: new messages of an IMAP
//! mailbox, read through the `imap` crate (rustls for `imaps://`), parsed
//! like files ([`super::inbound::parse_message`]) and applied through the
//! domain with the mailbox's cursor (UIDVALIDITY, last UID) in the same
//! transaction ([`Workspace::apply_inbound_marked`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use imap::types::UnsolicitedResponse;
use std::net::TcpStream;

use imap::{Client, Session};
use rustls_connector::RustlsConnector;
use rustls_connector::rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;

use super::inbound::{InputItem, InputSkip, MAX_INPUT_BYTES, parse_message};
use crate::domain::*;

/// The environment variable holding the IMAP password.
pub const PASSWORD_VAR: &str = "SEQTUI_IMAP_PASSWORD";

/// Messages fetched per UID FETCH command.
const BATCH: usize = 200;

/// A mailbox of an IMAP account, from `imap://USER@HOST[:PORT]/MAILBOX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapSource {
    pub tls: bool,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub mailbox: String,
}

/// Whether a command-line input names an IMAP mailbox rather than a path.
pub fn is_imap_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("imap://") || lower.starts_with("imaps://")
}

/// Undo `%XX` escapes (a user name like `me%40example.com`).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("'{text}' has a bad %-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("'{text}' is not UTF-8 once unescaped"))
}

impl ImapSource {
    /// Parses `imap://USER@HOST[:PORT]/MAILBOX` (`imaps://` for TLS). The
    /// password never goes in the URL: it comes from `SEQTUI_IMAP_PASSWORD`.
    pub fn parse(url: &str) -> Result<ImapSource, String> {
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(url, "imaps://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(url, "imap://") {
            (false, rest)
        } else {
            return Err(format!("'{url}' is not an imap:// or imaps:// URL"));
        };
        let (authority, mailbox) = rest.split_once('/').unwrap_or((rest, ""));
        let Some((userinfo, hostport)) = authority.rsplit_once('@') else {
            return Err(format!(
                "'{url}' names no user: write imap://USER@HOST[:PORT]/MAILBOX"
            ));
        };
        if userinfo.contains(':') {
            return Err(format!(
                "'{url}' carries a password: put it in {PASSWORD_VAR} instead, never on the command line"
            ));
        }
        let user = percent_decode(userinfo)?;
        let default_port = if tls { 993 } else { 143 };
        // `[v6]:port`, `[v6]`, `host:port` or `host`.
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((host, "")) => (host, None),
                Some((host, rest)) => (host, Some(rest.strip_prefix(':').unwrap_or(rest))),
                None => return Err(format!("'{url}' has a bad host")),
            },
            None => match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            },
        };
        let port = match port {
            None => default_port,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("'{url}' has a bad port '{p}'"))?,
        };
        if user.is_empty() || host.is_empty() {
            return Err(format!(
                "'{url}' needs a user and a host: imap://USER@HOST[:PORT]/MAILBOX"
            ));
        }
        let mailbox = percent_decode(mailbox.trim_end_matches('/'))?;
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_string()
        } else {
            mailbox
        };
        Ok(ImapSource {
            tls,
            user,
            host: host.to_ascii_lowercase(),
            port,
            mailbox,
        })
    }

    /// The account, as stored with the cursor: `imap://user@host:port`.
    pub fn account(&self) -> String {
        let scheme = if self.tls { "imaps" } else { "imap" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{}@{host}:{}", self.user, self.port)
    }

    /// The mailbox, for messages: `imap://user@host:port/MAILBOX`.
    pub fn shown(&self) -> String {
        format!("{}/{}", self.account(), self.mailbox)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Why talking to the server failed.
#[derive(Debug)]
pub enum ImapError {
    /// The server refused the user name or password (exit 3).
    Login(String),
    /// The mailbox does not exist (exit 4).
    NoMailbox(String),
    /// The connection could not be made or was lost: worth retrying.
    Connection(String),
    /// The server answered NO or BAD to something else, or TLS failed.
    Server(String),
    /// The workspace could not be written.
    Domain(DomainError),
}

impl std::fmt::Display for ImapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImapError::Login(s)
            | ImapError::NoMailbox(s)
            | ImapError::Connection(s)
            | ImapError::Server(s) => f.write_str(s),
            ImapError::Domain(e) => write!(f, "{e}"),
        }
    }
}

impl From<DomainError> for ImapError {
    fn from(e: DomainError) -> Self {
        ImapError::Domain(e)
    }
}

/// Whether an error from the `imap` crate means the connection is gone.
fn lost(e: &imap::Error) -> bool {
    matches!(
        e,
        imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_)
    )
}

fn server_error(source: &ImapSource, doing: &str, e: imap::Error) -> ImapError {
    let text = format!("{doing} on {} failed: {e}", source.shown());
    if lost(&e) {
        ImapError::Connection(text)
    } else {
        ImapError::Server(text)
    }
}

type Conn = Session<imap::Connection>;

/// rustls trusting the system's roots plus `SEQTUI_CA_FILE`'s.
fn tls_connector(extra: &[CertificateDer<'static>]) -> RustlsConnector {
    let mut roots = RootCertStore::empty();
    if let Ok(system) = rustls_connector::rustls_native_certs::load_native_certs() {
        roots.add_parsable_certificates(system);
    }
    roots.add_parsable_certificates(extra.iter().cloned());
    ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth()
        .into()
}

/// Connects to the server, greeting read: `imaps://` is TLS from the
/// first byte; `imap://` upgrades with STARTTLS when the server offers
/// it, else stays plain. A certificate seqtui does not trust is no
/// connection trouble to retry but an error naming `SEQTUI_CA_FILE`.
fn connect(source: &ImapSource) -> Result<Client<imap::Connection>, ImapError> {
    let account = source.account();
    let roots = super::tls::extra_roots().map_err(ImapError::Server)?;
    let lost = |e: &dyn std::fmt::Display| {
        ImapError::Connection(format!("cannot connect to {account}: {e}"))
    };
    let tcp = TcpStream::connect((source.host.as_str(), source.port)).map_err(|e| lost(&e))?;
    let handshake = |tcp: TcpStream| -> Result<imap::Connection, ImapError> {
        match tls_connector(&roots).connect(&source.host, tcp) {
            Ok(stream) => Ok(Box::new(stream)),
            Err(e) => {
                let text = e.to_string();
                Err(match super::tls::untrusted_hint(&text) {
                    Some(hint) => ImapError::Server(format!(
                        "cannot connect to {account} over TLS: {hint}: {text}"
                    )),
                    None => ImapError::Connection(format!(
                        "cannot connect to {account} over TLS: {text}"
                    )),
                })
            }
        }
    };
    if source.tls {
        let mut client = Client::new(handshake(tcp)?);
        client.read_greeting().map_err(|e| lost(&e))?;
        return Ok(client);
    }
    let mut plain = Client::new(tcp);
    plain.read_greeting().map_err(|e| lost(&e))?;
    let starttls = plain
        .capabilities()
        .map_err(|e| lost(&e))?
        .has_str("STARTTLS");
    let tcp = plain.into_inner().map_err(|e| lost(&e))?;
    if !starttls {
        return Ok(Client::new(Box::new(tcp)));
    }
    // The `imap` crate's STARTTLS cannot be given extra roots, and its
    // client has no public way to send the command: it is sent here, on
    // the connection the crate read the greeting and capabilities from.
    starttls_command(&tcp).map_err(|e| lost(&e))?;
    Ok(Client::new(handshake(tcp)?))
}

/// Sends `STARTTLS` and reads its tagged answer, byte by byte so that
/// nothing of the TLS handshake after it is read here.
fn starttls_command(mut tcp: &TcpStream) -> std::io::Result<()> {
    use std::io::{Read, Write};
    const TAG: &str = "seqtui-tls";
    tcp.write_all(format!("{TAG} STARTTLS\r\n").as_bytes())?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if tcp.read(&mut byte)? == 0 {
            return Err(std::io::Error::other(
                "the server closed the connection at STARTTLS",
            ));
        }
        line.push(byte[0]);
        if line.ends_with(b"\r\n") {
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            if let Some(answer) = text.strip_prefix(TAG) {
                return if answer.trim_start().to_ascii_uppercase().starts_with("OK") {
                    Ok(())
                } else {
                    Err(std::io::Error::other(format!("STARTTLS refused:{answer}")))
                };
            }
            line.clear();
        }
        if line.len() > 8192 {
            return Err(std::io::Error::other(
                "an overlong line in answer to STARTTLS",
            ));
        }
    }
}

/// A fetched message, or why it was not read.
type Body = Result<Vec<u8>, (InputSkip, String)>;

/// A logged-in session with the source's mailbox selected.
pub struct Mailbox {
    source: ImapSource,
    session: Conn,
    pub uidvalidity: u32,
    idle: bool,
    uid_move: bool,
}

/// What one [`Mailbox::sync`] did.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// The messages fetched from the server, in UID order, with what each did.
    pub items: Vec<(InputItem, Vec<IngestOutcome>)>,
    /// The UIDVALIDITY changed since the last read: read from the start.
    pub restarted: Option<(u32, u32)>,
    /// Messages moved to the `--move-processed` mailbox.
    pub moved: usize,
}

impl Mailbox {
    /// Connects, logs in and selects the mailbox (`imaps://`: TLS through
    /// rustls; `imap://`: STARTTLS when the server offers it; the system's
    /// roots and `SEQTUI_CA_FILE` trusted).
    pub fn open(source: &ImapSource, password: &str) -> Result<Mailbox, ImapError> {
        let client = connect(source)?;
        let mut session = client.login(&source.user, password).map_err(|(e, _)| {
            if lost(&e) {
                ImapError::Connection(format!(
                    "{} closed the connection at login: {e}",
                    source.account()
                ))
            } else {
                ImapError::Login(format!(
                    "{} refused the login of '{}' (check the user name and {PASSWORD_VAR})",
                    source.account(),
                    source.user
                ))
            }
        })?;
        let caps = session
            .capabilities()
            .map_err(|e| server_error(source, "CAPABILITY", e))?;
        let idle = caps.has_str("IDLE");
        let uid_move = caps.has_str("MOVE");
        drop(caps);
        let selected = session.select(&source.mailbox).map_err(|e| match e {
            imap::Error::No(_) => ImapError::NoMailbox(format!(
                "no mailbox '{}' on {}",
                source.mailbox,
                source.account()
            )),
            e => server_error(source, "SELECT", e),
        })?;
        let uidvalidity = selected.uid_validity.ok_or_else(|| {
            ImapError::Server(format!(
                "{} gives no UIDVALIDITY: messages cannot be told apart between runs",
                source.shown()
            ))
        })?;
        Ok(Mailbox {
            source: source.clone(),
            session,
            uidvalidity,
            idle,
            uid_move,
        })
    }

    /// Whether the server offers IDLE (`--watch` waits with it).
    pub fn has_idle(&self) -> bool {
        self.idle
    }

    /// Reads every message after the cursor, applies each (cursor moved
    /// in the same transaction) and, with `move_to`, moves the applied ones
    /// there. A message that cannot be parsed is reported and passed over.
    pub fn sync(
        &mut self,
        ws: &mut Workspace,
        move_to: Option<&str>,
    ) -> Result<SyncReport, ImapError> {
        let mut report = SyncReport::default();
        let account = self.source.account();
        let mailbox = self.source.mailbox.clone();
        let mut last_uid = match ws.mailbox_cursor(&account, &mailbox)? {
            Some(c) if c.uidvalidity == self.uidvalidity => c.last_uid,
            Some(c) => {
                report.restarted = Some((c.uidvalidity, self.uidvalidity));
                ws.mark_mailbox(&MailboxMark {
                    source: &account,
                    mailbox: &mailbox,
                    uidvalidity: self.uidvalidity,
                    uid: 0,
                })?;
                0
            }
            None => 0,
        };
        let found = self
            .session
            .uid_search(format!("UID {}:*", last_uid.saturating_add(1)))
            .map_err(|e| server_error(&self.source, "UID SEARCH", e))?;
        // `n:*` always matches the last message, even below n.
        let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last_uid).collect();
        uids.sort_unstable();
        for chunk in uids.chunks(BATCH) {
            let set = uid_set(chunk);
            let fetches = self
                .session
                .uid_fetch(&set, "(UID RFC822.SIZE BODY.PEEK[])")
                .map_err(|e| server_error(&self.source, "UID FETCH", e))?;
            let mut got: Vec<(u32, Body)> = fetches
                .iter()
                .filter_map(|f| {
                    let uid = f.uid?;
                    let body = match (f.size, f.body()) {
                        (Some(size), _) if u64::from(size) > MAX_INPUT_BYTES => Err((
                            InputSkip::TooLarge,
                            format!("over {} MB; not read", MAX_INPUT_BYTES / 1024 / 1024),
                        )),
                        (_, Some(body)) => Ok(body.to_vec()),
                        (_, None) => {
                            Err((InputSkip::Unreadable, "the server sent no body".to_string()))
                        }
                    };
                    Some((uid, body))
                })
                .collect();
            drop(fetches);
            got.sort_by_key(|(uid, _)| *uid);
            let mut applied = Vec::new();
            for (uid, body) in got {
                if uid <= last_uid {
                    continue;
                }
                let item_source = format!(
                    "{};UIDVALIDITY={}/;UID={uid}",
                    self.source.shown(),
                    self.uidvalidity
                );
                let mark = MailboxMark {
                    source: &account,
                    mailbox: &mailbox,
                    uidvalidity: self.uidvalidity,
                    uid,
                };
                let now = ws.now();
                let parsed = body
                    .and_then(|b| parse_message(&b, now).map_err(|why| (InputSkip::Invalid, why)));
                match parsed {
                    Ok(event) => {
                        let outcomes = ws.apply_inbound_marked(&event, Some(&mark))?;
                        report.items.push((
                            InputItem {
                                source: item_source,
                                event: Ok(event),
                                code: None,
                            },
                            outcomes,
                        ));
                    }
                    Err((code, why)) => {
                        ws.mark_mailbox(&mark)?;
                        report.items.push((
                            InputItem {
                                source: item_source,
                                event: Err(why),
                                code: Some(code),
                            },
                            Vec::new(),
                        ));
                    }
                }
                applied.push(uid);
                last_uid = uid;
            }
            if let Some(target) = move_to
                && !applied.is_empty()
            {
                self.move_to(&applied, target)?;
                report.moved += applied.len();
            }
        }
        Ok(report)
    }

    /// Moves messages to `target` (created if missing): UID MOVE where the
    /// server offers it, else COPY, STORE \Deleted and EXPUNGE of just them.
    fn move_to(&mut self, uids: &[u32], target: &str) -> Result<(), ImapError> {
        let set = uid_set(uids);
        let source = self.source.clone();
        let attempt = |session: &mut Conn| -> imap::Result<()> {
            if self.uid_move {
                session.uid_mv(&set, target)
            } else {
                session.uid_copy(&set, target)?;
                session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")?;
                session.uid_expunge(&set).map(|_| ())
            }
        };
        match attempt(&mut self.session) {
            Ok(()) => Ok(()),
            Err(imap::Error::No(_)) => {
                // Most likely the target does not exist yet.
                let _ = self.session.create(target);
                attempt(&mut self.session)
                    .map_err(|e| server_error(&source, &format!("moving to '{target}'"), e))
            }
            Err(e) => Err(server_error(&source, &format!("moving to '{target}'"), e)),
        }
    }

    /// Waits for new mail: IDLE when offered (re-issued every `tick`),
    /// else a NOOP poll every `tick`. Returns early once `stop` is set (at
    /// the next tick).
    pub fn wait(&mut self, tick: Duration, stop: &AtomicBool) -> Result<(), ImapError> {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if self.idle {
            let mut handle = self.session.idle();
            handle.timeout(tick).keepalive(false);
            handle
                .wait_while(|response| !matches!(response, UnsolicitedResponse::Exists(_)))
                .map_err(|e| {
                    ImapError::Connection(format!(
                        "lost the connection to {}: {e}",
                        self.source.account()
                    ))
                })?;
            Ok(())
        } else {
            let until = Instant::now() + tick;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
            }
            self.session.noop().map_err(|e| {
                ImapError::Connection(format!(
                    "lost the connection to {}: {e}",
                    self.source.account()
                ))
            })
        }
    }

    /// Says goodbye (errors ignored: the work is saved already).
    pub fn close(mut self) {
        let _ = self.session.logout();
    }
}

/// `1:3,7,9:10` for sorted UIDs.
fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let s = ImapSource::parse("imap://me%40x.example@Mail.Example:1143/Sales/Replies").unwrap();
        assert_eq!(s.user, "me@x.example");
        assert_eq!(s.host, "mail.example");
        assert_eq!(s.port, 1143);
        assert_eq!(s.mailbox, "Sales/Replies");
        assert!(!s.tls);
        assert_eq!(s.account(), "imap://me@x.example@mail.example:1143");
        let s = ImapSource::parse("imaps://me@host").unwrap();
        assert_eq!((s.port, s.mailbox.as_str(), s.tls), (993, "INBOX", true));
        assert!(
            ImapSource::parse("imap://me:pw@host/INBOX")
                .unwrap_err()
                .contains("SEQTUI_IMAP_PASSWORD")
        );
        assert!(ImapSource::parse("imap://host/INBOX").is_err());
        assert!(ImapSource::parse("imap://me@host:x/INBOX").is_err());
        let s = ImapSource::parse("imap://me@[::1]:1143/INBOX").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("::1", 1143));
        assert_eq!(s.account(), "imap://me@[::1]:1143");
    }

    #[test]
    fn uid_sets() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
    }
}
