//! A real SMTP server for the tests: aiosmtpd (PyPI), run by python3 from
//! tests/smtp_server.py. It keeps every message it accepts, and refuses recipients with a
//! temporary error while told to.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use townhall::jobs::mail::Mailer;

pub struct SmtpServer {
    child: Child,
    dir: tempfile::TempDir,
    /// `smtp://127.0.0.1:PORT`, for `--smtp-url`.
    pub url: String,
}

impl SmtpServer {
    /// Starts the server on a free port and waits until it listens.
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/smtp_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = (line.trim().strip_prefix("listening on "))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the SMTP server did not start ({line:?}): `make pydeps` installs aiosmtpd \
                     from tests/requirements-smtp.txt"
                )
            });
        SmtpServer {
            child,
            dir,
            url: format!("smtp://127.0.0.1:{port}"),
        }
    }

    /// A mailer sending to this server, from `Townhall <no-reply@example.org>`.
    pub fn mailer(&self) -> Mailer {
        Mailer::new(&self.url, "Townhall <no-reply@example.org>").unwrap()
    }

    /// Refuses recipients with `451` (true) or takes them again (false).
    pub fn refuse(&self, refusing: bool) {
        let flag = self.dir.path().join("refuse");
        if refusing {
            std::fs::write(flag, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// Refuses these recipients for good (`550`), as addresses that do not exist.
    pub fn reject(&self, addresses: &[&str]) {
        std::fs::write(self.dir.path().join("reject"), addresses.join("\n")).unwrap();
    }

    /// Every message accepted so far, in the order they came: its headers as sent, then its
    /// body decoded from its transfer encoding (so a test reads the text a person reads).
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| decoded(&String::from_utf8_lossy(&std::fs::read(p).unwrap())))
            .collect()
    }
}

/// A message with its body decoded (quoted-printable or base64); each part of a multipart
/// message is decoded in turn, after its own headers.
fn decoded(raw: &str) -> String {
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let boundary = header(headers, "content-type").and_then(|t| {
        let at = t.find("boundary=")? + "boundary=".len();
        Some(
            t[at..]
                .trim_matches('"')
                .split([';', '"'])
                .next()?
                .to_string(),
        )
    });
    match boundary {
        Some(b) => {
            let parts: Vec<String> = body
                .split(&format!("--{b}"))
                .skip(1)
                .filter(|p| !p.starts_with("--"))
                .map(|p| decoded(p.trim_start_matches("\r\n")))
                .collect();
            format!("{headers}\n\n{}", parts.join("\n"))
        }
        None => decoded_part(headers, body),
    }
}

/// A header's value, unfolded.
fn header(headers: &str, name: &str) -> Option<String> {
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (n, value) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

fn decoded_part(headers: &str, body: &str) -> String {
    use base64::Engine;
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let text = match encoding.as_str() {
        "quoted-printable" => {
            let joined = body.replace("=\r\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                let hex = (bytes[i] == b'=' && i + 2 < bytes.len())
                    .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
                    .flatten()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => body.to_string(),
    };
    format!("{headers}\n\n{text}")
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
