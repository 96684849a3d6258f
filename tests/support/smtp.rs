//! The test SMTP server (Python's aiosmtpd, tests/support/smtp_server.py)
//! on 127.0.0.1, killed when dropped; what it received, as text. Its store
//! is a Maildir (`new/<n>.eml`), so the crash tests' outbox checks read it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const MISSING: &str = "python3 with aiosmtpd is needed: pip install aiosmtpd";

pub struct Smtp {
    child: Child,
    pub port: u16,
    pub store: PathBuf,
    scheme: &'static str,
}

/// How the server speaks TLS: a certificate and its key (PEM files).
pub enum Tls<'a> {
    None,
    /// Offers STARTTLS.
    Offered(&'a Path, &'a Path),
    /// TLS from the first byte (`smtps://`).
    Implicit(&'a Path, &'a Path),
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// Starts the server storing into `store`, or panics with a sentence
    /// naming what is missing.
    pub fn start(store: &Path) -> Smtp {
        Smtp::start_tls(store, Tls::None)
    }

    /// [`Smtp::start`] with TLS.
    pub fn start_tls(store: &Path, tls: Tls<'_>) -> Smtp {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(store);
        let scheme = match tls {
            Tls::None => "smtp",
            Tls::Offered(cert, key) => {
                cmd.arg("--starttls").arg(cert).arg(key);
                "smtp"
            }
            Tls::Implicit(cert, key) => {
                cmd.arg("--implicit-tls").arg(cert).arg(key);
                "smtps"
            }
        };
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{MISSING} ({e})"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line.trim().strip_prefix("READY ") else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{MISSING}: {}", String::from_utf8_lossy(&out.stderr));
        };
        Smtp {
            port: port.parse().unwrap(),
            child,
            store: store.to_path_buf(),
            scheme,
        }
    }

    /// `smtp://127.0.0.1:PORT` (`smtps://` for implicit TLS).
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// `url()` with the host name `localhost`, which the tests'
    /// certificates name.
    pub fn url_localhost(&self) -> String {
        format!("{}://localhost:{}", self.scheme, self.port)
    }

    /// Makes the server wait `seconds` after storing each message before
    /// it answers 250 (0: answer at once).
    pub fn hold(&self, seconds: f64) {
        std::fs::write(self.store.join("hold"), seconds.to_string()).unwrap();
    }

    /// Makes the server wait `seconds` after storing its `n`-th message
    /// (counting from 1) before it answers 250; the others at once.
    pub fn hold_message(&self, n: usize, seconds: f64) {
        std::fs::write(self.store.join("hold"), format!("{seconds}@{n}")).unwrap();
    }

    /// The messages the server holds, in the order received, as bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<(u64, PathBuf)> = std::fs::read_dir(self.store.join("new"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .map(|p| {
                let n = p.file_stem().unwrap().to_str().unwrap().parse().unwrap();
                (n, p)
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|(_, p)| std::fs::read(p).unwrap())
            .collect()
    }

    /// The messages the server holds, in the order received, as text.
    pub fn texts(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    /// Whether every message the server holds came over TLS (and there
    /// is at least one).
    pub fn all_encrypted(&self) -> bool {
        let n = self.messages().len();
        n > 0
            && (1..=n).all(|i| {
                std::fs::read_to_string(self.store.join("tls").join(i.to_string()))
                    .is_ok_and(|t| t == "yes")
            })
    }

    /// Tells the server how to answer given recipients (`answers` file of
    /// smtp_server.py): each `(address, "451 4.3.0 …")`.
    pub fn answer(&self, lines: &[(String, &str)]) {
        let text: String = lines.iter().map(|(a, t)| format!("{a} {t}\n")).collect();
        std::fs::write(self.store.join("answers"), text).unwrap();
    }
}
