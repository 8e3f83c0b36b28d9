//! Acting as a person: signing in to a protected store, and the `init` and
//! `user` commands that manage who can.

use anyhow::Result;
use beacon_api::domain::{SystemClock, UserRole};
use beacon_api::{ApiError, Beacon};
use std::io::IsTerminal;
use std::sync::Arc;

use crate::args::{Cli, UserCommand};
use crate::commands::{Out, store_path, usage};
use crate::output::say;
use crate::table;

/// Open the store as whoever `--user` names; a store with no account yet
/// opens as it always did.
pub fn open(cli: &Cli) -> Result<Beacon> {
    let path = store_path(cli);
    if !beacon_api::is_protected_store(&path) {
        return Ok(Beacon::open(&path, beacon_api::default_actor(), Arc::new(SystemClock))?);
    }
    let Some(name) = cli.user.as_deref() else { return Err(ApiError::SignInRequired.into()) };
    let password = password("BEACON_PASSWORD", &format!("Password for {name}: "))?;
    Ok(Beacon::sign_in(&path, name, &password, Arc::new(SystemClock))?)
}

/// A password from the environment variable, else typed at a prompt.
fn password(var: &str, prompt: &str) -> Result<String> {
    if let Some(p) = std::env::var(var).ok().filter(|p| !p.is_empty()) {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(prompt)?);
    }
    Err(usage(format!("no password: set {var}, or run in a terminal to be asked")))
}

/// A new password: BEACON_NEW_PASSWORD, else typed twice, else generated
/// (and then printed once by the caller). `true` when generated.
fn new_password(for_whom: &str, var: &str) -> Result<(String, bool)> {
    if let Some(p) = std::env::var(var).ok().filter(|p| !p.is_empty()) {
        return Ok((p, false));
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {for_whom}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            return Err(usage("the two passwords differ; nothing changed"));
        }
        return Ok((first, false));
    }
    Ok((beacon_api::auth::generate_password(), true))
}

/// `beacon init`: create the store, and on a store with no account yet,
/// its first admin.
pub fn init(cli: &Cli, out: &Out, admin: &str) -> Result<()> {
    if beacon_api::is_protected_store(&store_path(cli)) {
        return store(cli, out);
    }
    let b = open_unprotected(cli)?;
    let (password, generated) = new_password(admin, "BEACON_PASSWORD")?;
    let (b, key) = b.init_admin(admin, &password)?;
    let store = b.store();
    if out.json {
        let mut v = serde_json::json!({
            "store": store.path(), "device_id": store.device_id(), "cases": store.case_count()?,
            "admin": admin, "recovery_key": key.as_str(),
        });
        if generated {
            v["password"] = password.into();
        }
        return out.value(&v);
    }
    say!("Store ready at {} ({} cases), encrypted.", store.path().display(), store.case_count()?);
    say!("Protected: {admin} is its first admin; sign in with --user {admin} (or BEACON_USER).");
    if generated {
        say!("{admin}'s password (shown once): {password}");
    }
    say!("Recovery key (shown once; keep it offline, it opens this store if every admin password is lost):");
    say!("  {}", key.as_str());
    Ok(())
}

/// A protected store is encrypted, so whether it holds cases is known only
/// after signing in; this says where it is and how to sign in.
pub fn store(cli: &Cli, out: &Out) -> Result<()> {
    let path = store_path(cli);
    if beacon_api::is_protected_store(&path) {
        if out.json {
            return out.value(&serde_json::json!({"store": path, "protected": true, "encrypted": true}));
        }
        say!("{} (protected and encrypted: sign in with --user)", path.display());
        return Ok(());
    }
    let b = open_unprotected(cli)?;
    let empty = b.store().has_no_cases()?;
    if out.json {
        return out.value(&serde_json::json!({"store": path, "protected": false, "encrypted": false, "empty": empty}));
    }
    say!(
        "{} (not protected yet: `beacon init` adds its first admin and encrypts it; {})",
        path.display(),
        if empty { "no cases yet" } else { "holds cases" }
    );
    Ok(())
}

/// `beacon sync enrol`: sign in to the hub once, as `name`.
pub fn enrol(out: &Out, b: &mut Beacon, hub: Option<&str>, name: Option<&str>, device: &str) -> Result<()> {
    let hub = hub.ok_or_else(|| usage("give the hub to enrol with: --hub URL (or BEACON_HUB)"))?;
    let name = name.ok_or_else(|| usage("give who enrols: --hub-user NAME, or --user NAME (or BEACON_USER)"))?;
    let password = match std::env::var("BEACON_HUB_PASSWORD").ok().filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => password("BEACON_PASSWORD", &format!("Hub password for {name}: "))?,
    };
    let enrolled = b.enrol(hub, name, &password, device)?;
    if out.json {
        return out.value(&enrolled);
    }
    say!(
        "Enrolled with {} as {} ({}, receives {}); the hub lists this desktop as {}.",
        enrolled.hub,
        name,
        enrolled.role,
        enrolled.scope,
        enrolled.token_name
    );
    Ok(())
}

/// `beacon rekey`: a new data key; the old one opens nothing any more.
pub fn rekey(cli: &Cli, out: &Out) -> Result<()> {
    let b = open(cli)?;
    if !b.is_protected() {
        return Err(usage("this store is not protected, so it has no key to rotate: `beacon init` protects it"));
    }
    let b = b.rekey()?;
    if out.json {
        return out.value(&serde_json::json!({"store": b.store().path(), "rekeyed": true}));
    }
    say!("{} is encrypted under a new key; passwords and the recovery key are unchanged.", b.store().path().display());
    Ok(())
}

/// A store with no account yet, opened as it always was.
fn open_unprotected(cli: &Cli) -> Result<Beacon> {
    Ok(Beacon::open(&store_path(cli), beacon_api::default_actor(), Arc::new(SystemClock))?)
}

pub fn user(cli: &Cli, out: &Out, command: &UserCommand) -> Result<()> {
    if let UserCommand::Passwd { name, recovery: true } = command {
        let name = name.as_deref().ok_or_else(|| usage("with --recovery, name whose password to set"))?;
        let key = password("BEACON_RECOVERY_KEY", "Recovery key: ")?;
        let mut b = Beacon::sign_in_with_recovery(&store_path(cli), &key, Arc::new(SystemClock))?;
        return set_password(&mut b, out, name);
    }
    let mut b = open(cli)?;
    match command {
        UserCommand::Add { name, role, responder } => {
            let role: UserRole = role.parse().map_err(|e: String| usage(format!("--role: {e}")))?;
            let (password, generated) = new_password(name, "BEACON_NEW_PASSWORD")?;
            let user = b.add_user(name, role, responder.as_deref(), &password)?;
            if out.json {
                let mut v = serde_json::to_value(&user)?;
                if generated {
                    v["password"] = password.into();
                }
                return out.value(&v);
            }
            say!("Added {} ({}).", user.name, user.role.label());
            if generated {
                say!("Password (shown once): {password}");
            }
        }
        UserCommand::List => {
            let rows = b.users()?;
            if out.json {
                return out.value(&rows);
            }
            let lines: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let state = if r.user.disabled {
                        "disabled".to_string()
                    } else if let Some(until) = r.locked_until {
                        format!("locked until {}", until.format("%Y-%m-%d %H:%M UTC"))
                    } else if !r.can_sign_in {
                        "no password here".to_string()
                    } else {
                        "active".to_string()
                    };
                    vec![
                        r.user.name.clone(),
                        r.user.role.label().to_string(),
                        r.user.responder_id.as_ref().map(|r| r.0.clone()).unwrap_or_else(|| "—".into()),
                        state,
                    ]
                })
                .collect();
            table::print(&["USER", "ROLE", "RESPONDER", "STATE"], &lines);
        }
        UserCommand::Disable { name } => {
            b.disable_user(name)?;
            say!("{name} can no longer sign in.");
        }
        UserCommand::Passwd { name, .. } => {
            let name = match name {
                Some(n) => n.clone(),
                None => b.user().map(|u| u.name.clone()).ok_or_else(|| usage("name whose password to set"))?,
            };
            return set_password(&mut b, out, &name);
        }
        UserCommand::Unlock { name } => {
            b.unlock_user(name)?;
            say!("{name} may sign in again.");
        }
    }
    Ok(())
}

fn set_password(b: &mut Beacon, out: &Out, name: &str) -> Result<()> {
    let (password, generated) = new_password(name, "BEACON_NEW_PASSWORD")?;
    b.set_password(name, &password)?;
    if out.json {
        let mut v = serde_json::json!({"user": name});
        if generated {
            v["password"] = password.into();
        }
        return out.value(&v);
    }
    say!("{name}'s password is set.");
    if generated {
        say!("Password (shown once): {password}");
    }
    Ok(())
}

/// `beacon mine`: the open cases handed to the signed-in person.
pub fn mine(cli: &Cli, out: &Out, limit: usize) -> Result<()> {
    let b = open(cli)?;
    let rows = b.my_cases(limit)?;
    let now = b.store().now();
    crate::commands::print_rows(&b, out, rows, now)
}
