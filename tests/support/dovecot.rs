//! A throwaway Dovecot IMAP server (Debian package `dovecot-imapd`) on
//! 127.0.0.1: its own config, passwd-file and Maildirs in a temp dir, run
//! in the foreground as a child of the test and stopped when dropped.
//!
//! ```ignore
//! let server = Dovecot::start();
//! server.append("INBOX", b"From: a@b.example\r\n\r\nhi\r\n");
//! let url = server.url("INBOX"); // imap://seller@127.0.0.1:PORT/INBOX
//! // run `seqtui ingest URL` with SEQTUI_IMAP_PASSWORD=server.password
//! ```

use std::ffi::CStr;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MISSING: &str =
    "dovecot (Debian package dovecot-imapd) is needed: apt-get install dovecot-imapd";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tls {
    Implicit,
    Offered,
}

pub struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
    child: Option<Child>,
    /// `ssl = required`: TLS from the first byte (imaps) or after STARTTLS.
    tls: Option<Tls>,
    pub port: u16,
    pub user: &'static str,
    pub password: &'static str,
}

/// `(name, uid, gid)` of a user of the system.
fn passwd_entry(name: Option<&str>) -> Option<(String, u32, u32)> {
    // SAFETY: getpwnam/getpwuid return a pointer into static storage or
    // null; it is read at once, and tests do not call them concurrently
    // in a way that matters for these fixed entries.
    unsafe {
        let entry = match name {
            Some(name) => {
                let c = std::ffi::CString::new(name).ok()?;
                libc::getpwnam(c.as_ptr())
            }
            None => libc::getpwuid(libc::geteuid()),
        };
        if entry.is_null() {
            return None;
        }
        let e = &*entry;
        Some((
            CStr::from_ptr(e.pw_name).to_string_lossy().into_owned(),
            e.pw_uid,
            e.pw_gid,
        ))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Dovecot {
    /// Starts a server, or panics with a sentence naming what is missing.
    pub fn start() -> Dovecot {
        Dovecot::start_with(None)
    }

    /// A server with `ssl = required` and the given certificate and key
    /// (PEM files), whose one port is imaps (TLS from the first byte) when
    /// `implicit`, else imap offering STARTTLS (and requiring it before a
    /// login).
    pub fn start_tls(cert: &Path, key: &Path, implicit: bool) -> Dovecot {
        Dovecot::start_with(Some((cert, key, implicit)))
    }

    fn start_with(tls: Option<(&Path, &Path, bool)>) -> Dovecot {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        if binary.is_none() && Command::new("dovecot").arg("--version").output().is_err() {
            panic!("{MISSING}");
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let me = passwd_entry(None).expect("the current user has no passwd entry");
        // Root runs Dovecot's login processes as `dovenull` and the rest as
        // `dovecot` (both made by the package); anyone else runs it all.
        let (login, internal, mail) = if me.1 == 0 {
            let login = passwd_entry(Some("dovenull")).unwrap_or_else(|| panic!("{MISSING}"));
            let internal = passwd_entry(Some("dovecot")).unwrap_or_else(|| panic!("{MISSING}"));
            (login.0, internal.0.clone(), internal)
        } else {
            (me.0.clone(), me.0.clone(), me.clone())
        };
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(&home, Some(mail.1), Some(mail.2)).unwrap();
        let password = "imap-test-secret";
        let user = "seller";
        std::fs::write(root.join("passwd"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        let port = free_port();
        let r = root.display();
        let (ssl, imap_port, imaps_port) = match tls {
            None => ("ssl = no".to_string(), port, 0),
            Some((cert, key, implicit)) => {
                // Dovecot reads them as root before dropping privileges,
                // but a non-root run needs them readable: copy them here.
                std::fs::copy(cert, root.join("cert.pem")).unwrap();
                std::fs::copy(key, root.join("key.pem")).unwrap();
                let ssl =
                    format!("ssl = required\nssl_cert = <{r}/cert.pem\nssl_key = <{r}/key.pem");
                if implicit {
                    (ssl, 0, port)
                } else {
                    (ssl, port, 0)
                }
            }
        };
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {internal_group}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/home/%u allow_all_users=yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
",
                internal_group = group_name(mail.2).unwrap_or_else(|| internal.clone()),
                uid = mail.1,
                gid = mail.2,
            ),
        )
        .unwrap();
        let mut server = Dovecot {
            dir,
            conf,
            child: None,
            tls: tls.map(|(_, _, implicit)| {
                if implicit {
                    Tls::Implicit
                } else {
                    Tls::Offered
                }
            }),
            port,
            user,
            password,
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("dovecot");
        let child = Command::new(binary)
            // Its own process group, so that stopping it ends the IMAP
            // sessions too (they outlive the master otherwise).
            .process_group(0)
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{MISSING} ({e})"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && self.try_session().is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "dovecot did not start ({status}): {}; {MISSING}",
                    self.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "dovecot did not answer on 127.0.0.1:{}: {}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Dovecot's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// `imap://seller@127.0.0.1:PORT/MAILBOX` (`imaps://` with TLS).
    pub fn url(&self, mailbox: &str) -> String {
        let scheme = if self.tls == Some(Tls::Implicit) {
            "imaps"
        } else {
            "imap"
        };
        format!("{scheme}://{}@127.0.0.1:{}/{mailbox}", self.user, self.port)
    }

    /// Stops the server and drops every session: SIGTERM to its process
    /// group, then SIGKILL to whatever is left of it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = child.id() as libc::pid_t;
            // SAFETY: kill(2) of the process group our own child leads.
            unsafe {
                libc::kill(-group, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            // SAFETY: as above; sessions that outlived the master.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same mail.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn try_session(&self) -> imap::Result<imap::Session<imap::Connection>> {
        // The test's own session: TLS without checking the certificate
        // (what seqtui trusts is what the tests check).
        let mode = match self.tls {
            Some(Tls::Implicit) => imap::ConnectionMode::Tls,
            Some(Tls::Offered) => imap::ConnectionMode::StartTls,
            None => imap::ConnectionMode::Plaintext,
        };
        let client = imap::ClientBuilder::new("127.0.0.1", self.port)
            .mode(mode)
            .tls_kind(imap::TlsKind::Rust)
            .danger_skip_tls_verify(true)
            .connect()?;
        client.login(self.user, self.password).map_err(|(e, _)| e)
    }

    /// A logged-in session of the test user.
    pub fn session(&self) -> imap::Session<imap::Connection> {
        self.try_session()
            .unwrap_or_else(|e| panic!("cannot log in to dovecot: {e}: {}", self.log()))
    }

    /// APPENDs a message to `mailbox` (created if missing).
    pub fn append(&self, mailbox: &str, message: &[u8]) {
        let mut s = self.session();
        let _ = s.create(mailbox);
        s.append(mailbox, message).finish().unwrap();
        let _ = s.logout();
    }

    /// How many messages `mailbox` holds (0 when it does not exist).
    pub fn count(&self, mailbox: &str) -> u32 {
        let mut s = self.session();
        let n = s.examine(mailbox).map(|m| m.exists).unwrap_or(0);
        let _ = s.logout();
        n
    }

    /// Whether any message of `mailbox` is flagged \Deleted.
    pub fn deleted(&self, mailbox: &str) -> usize {
        let mut s = self.session();
        s.examine(mailbox).unwrap();
        let n = s.search("DELETED").unwrap().len();
        let _ = s.logout();
        n
    }

    /// Deletes and creates `mailbox` again: it gets a new UIDVALIDITY.
    pub fn recreate(&self, mailbox: &str) -> u32 {
        let mut s = self.session();
        let before = s.examine(mailbox).unwrap().uid_validity;
        s.close().unwrap();
        s.delete(mailbox).unwrap();
        s.create(mailbox).unwrap();
        let after = s.examine(mailbox).unwrap().uid_validity.unwrap();
        assert_ne!(before, Some(after), "dovecot kept the UIDVALIDITY");
        let _ = s.logout();
        after
    }
}

fn group_name(gid: u32) -> Option<String> {
    // SAFETY: as in `passwd_entry`.
    unsafe {
        let g = libc::getgrgid(gid);
        if g.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*g).gr_name).to_string_lossy().into_owned())
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
