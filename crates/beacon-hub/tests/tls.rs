//! The hub over HTTPS: the real binary with a certificate, a client that
//! trusts only that certificate, and plain HTTP refused on the same port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_hub_serves_https_with_the_certificate_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("hub.crt"), dir.path().join("hub.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    let port = free_port();
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let _hub = Running(
        Command::new(env!("CARGO_BIN_EXE_beacon-hub"))
            .args(["serve", "--db", &db, "--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let roots =
        ureq::tls::RootCerts::new_with_certs(&[ureq::tls::Certificate::from_der(certified.cert.der()).to_owned()]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let url = format!("https://localhost:{port}/healthz");
    let started = Instant::now();
    let mut response = loop {
        match agent.get(&url).call() {
            Ok(r) => break r,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("the hub did not answer over HTTPS: {e}"),
        }
    };
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.body_mut().read_to_string().unwrap(), "ok\n");
    // Plain HTTP to the same port gets no answer a client could take for the hub's.
    let plain = ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call();
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status().as_u16() != 200));
    // A client that does not trust the certificate is refused.
    assert!(ureq::get(&url).call().is_err());
}

#[test]
fn a_certificate_that_cannot_be_read_is_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem");
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite3").display());
    let out = Command::new(env!("CARGO_BIN_EXE_beacon-hub"))
        .args(["serve", "--db", &db, "--listen", "0.0.0.0:0", "--tls-cert"])
        .arg(&missing)
        .arg("--tls-key")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS certificate"));
}
