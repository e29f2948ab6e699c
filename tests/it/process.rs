//! Running the real `townhall` binary: commands, and `townhall serve` processes that are
//! stopped when the test ends.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Runs `townhall ARGS` with `stdin` piped in.
pub fn townhall(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(args)
        .env_remove("TOWNHALL_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs `townhall ARGS` and panics with its stderr unless it succeeds; returns stdout.
pub fn townhall_ok(args: &[&str], stdin: &str) -> String {
    let o = townhall(args, stdin);
    assert!(
        o.status.success(),
        "townhall {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A database with the department, an admin and an API token, made through the command line.
/// Returns the admin's token.
pub fn seed_admin(database_url: &str) -> String {
    townhall_ok(
        &[
            "organisation",
            "add",
            "--database",
            database_url,
            "--name",
            "Department of Community Services",
            "--slug",
            "community-services",
        ],
        "",
    );
    townhall_ok(
        &[
            "user",
            "add",
            "--database",
            database_url,
            "--email",
            "admin@ops.example",
            "--name",
            "Ops Admin",
            "--role",
            "admin",
        ],
        "ops-admin-password-1\n",
    );
    townhall_ok(
        &[
            "token",
            "create",
            "--database",
            database_url,
            "--email",
            "admin@ops.example",
        ],
        "",
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `townhall serve` process, stopped (SIGTERM, then killed) when dropped.
pub struct Serve {
    pub child: Child,
    pub base: String,
}

impl Serve {
    pub async fn start(database_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Serve {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_townhall"));
        cmd.args(["serve", "--database", database_url, "--addr", &addr])
            .args(extra)
            .env_remove("TOWNHALL_DATABASE")
            .env("TOWNHALL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let serve = Serve {
            child,
            base: format!("http://{addr}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/healthz", serve.base)).send().await
                && r.status() == 200
            {
                return serve;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("townhall serve did not start on {addr}");
    }

    /// Stops the server as an operator would (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            for _ in 0..100 {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.terminate();
    }
}
