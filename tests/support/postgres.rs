//! A throwaway PostgreSQL cluster (Debian package `postgresql`) on
//! 127.0.0.1: `initdb` into a temp dir and `postgres` in the foreground as
//! a child of the test, stopped when dropped. Run as root, the cluster runs
//! as the `postgres` user the package creates (PostgreSQL refuses root).
//!
//! ```ignore
//! let server = Postgres::start();
//! let url = server.database("team"); // postgres://seqtui@127.0.0.1:PORT/team
//! // run seqtui with PGPASSWORD=server.password
//! ```

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MISSING: &str = "PostgreSQL's server (Debian package postgresql: initdb and postgres) is needed: apt-get install postgresql";

pub struct Postgres {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Where the server's Unix socket is: the helper's own client comes
    /// in through it when TCP requires TLS.
    sockets: PathBuf,
    tls_only: bool,
    pub port: u16,
    pub user: &'static str,
    pub password: &'static str,
}

/// The directory of the newest installed server's programs.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    // Elsewhere: initdb and postgres on the PATH.
    let found = Command::new("initdb").arg("--version").output().ok()?;
    found.status.success().then(PathBuf::new)
}

fn program(bin: &Path, name: &str) -> Command {
    if bin.as_os_str().is_empty() {
        Command::new(name)
    } else {
        Command::new(bin.join(name))
    }
}

/// `(uid, gid)` of the `postgres` user, from /etc/passwd.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres") && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Postgres {
    /// Starts a cluster, or panics with a sentence naming what is missing.
    pub fn start() -> Postgres {
        Postgres::start_with(None)
    }

    /// Starts a cluster whose TCP port takes only TLS connections (with
    /// `certs`' server certificate; a plain one is rejected by
    /// `pg_hba.conf`), as a managed PostgreSQL service does.
    pub fn start_tls_only(certs: &super::certs::Certs) -> Postgres {
        Postgres::start_with(Some(certs))
    }

    fn start_with(tls: Option<&super::certs::Certs>) -> Postgres {
        let bin = bin_dir().unwrap_or_else(|| panic!("{MISSING}"));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // SAFETY: geteuid has no preconditions.
        let as_root = unsafe { libc::geteuid() } == 0;
        let owner = if as_root {
            Some(postgres_user().unwrap_or_else(|| {
                panic!("running as root, the tests run PostgreSQL as the user `postgres`, which does not exist: {MISSING}")
            }))
        } else {
            None
        };
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = root.join("data");
        let sockets = root.join("sockets");
        std::fs::create_dir(&sockets).unwrap();
        let pwfile = root.join("pwfile");
        let password = "seqtui-test-password";
        std::fs::write(&pwfile, format!("{password}\n")).unwrap();
        if let Some((uid, gid)) = owner {
            for path in [root, sockets.as_path(), pwfile.as_path()] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
            }
        }
        let as_owner = |cmd: &mut Command| {
            if let Some((uid, gid)) = owner {
                cmd.uid(uid).gid(gid);
            }
        };
        let mut initdb = program(&bin, "initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "seqtui",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        as_owner(&mut initdb);
        let out = initdb
            .output()
            .unwrap_or_else(|e| panic!("{MISSING} (running initdb: {e})"));
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut tls_options = Vec::new();
        if let Some(certs) = tls {
            // The key must belong to the server's user, readable by it alone.
            let (cert, key) = (root.join("server.pem"), root.join("server.key"));
            std::fs::copy(&certs.cert, &cert).unwrap();
            std::fs::copy(&certs.key, &key).unwrap();
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            if let Some((uid, gid)) = owner {
                for path in [cert.as_path(), key.as_path()] {
                    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
                }
            }
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\n\
                 hostssl all all 127.0.0.1/32 scram-sha-256\n\
                 hostnossl all all 127.0.0.1/32 reject\n",
            )
            .unwrap();
            tls_options = vec![
                "-c".to_string(),
                "ssl=on".to_string(),
                "-c".to_string(),
                format!("ssl_cert_file={}", cert.display()),
                "-c".to_string(),
                format!("ssl_key_file={}", key.display()),
            ];
        }
        let port = free_port();
        let mut server = program(&bin, "postgres");
        server
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(&sockets)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "synchronous_commit=off",
            ])
            .args(&tls_options)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("postgres.log")).unwrap());
        as_owner(&mut server);
        let child = server
            .spawn()
            .unwrap_or_else(|e| panic!("{MISSING} (starting postgres: {e})"));
        let mut pg = Postgres {
            dir,
            child: Some(child),
            sockets,
            tls_only: tls.is_some(),
            port,
            user: "seqtui",
            password,
        };
        pg.wait_ready();
        pg
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.client("postgres").is_ok()
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let err = std::fs::read_to_string(self.dir.path().join("postgres.log"))
                    .unwrap_or_default();
                panic!("postgres exited ({status}) before accepting connections: {err}");
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A client connected as the cluster's superuser to `db` (through the
    /// Unix socket when TCP takes only TLS).
    pub fn client(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        let mut config = postgres::Config::new();
        if self.tls_only {
            config.host_path(&self.sockets);
        } else {
            config.host("127.0.0.1");
        }
        config
            .port(self.port)
            .user(self.user)
            .password(self.password)
            .dbname(db)
            .connect(postgres::NoTls)
    }

    /// Creates an empty database and returns its URL (no password in it:
    /// seqtui takes it from `PGPASSWORD`).
    pub fn database(&self, name: &str) -> String {
        let mut client = self.client("postgres").unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        self.url(name)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{db}", self.user, self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT: PostgreSQL's fast shutdown.
            // SAFETY: kill on our own child's pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            child.kill().ok();
            child.wait().ok();
        }
    }
}
