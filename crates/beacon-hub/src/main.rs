//! `beacon-hub`: serve, migrate, and manage tokens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use beacon_hub::limits::Rate;
use beacon_hub::{DEFAULT_MAX_BODY, Hub, HubConfig, router, tokens};
use beacon_hub_db::{HubDb, PostgresHubDb, SqliteHubDb, TokenRole, TokenScope};

/// Connections each hub process keeps to PostgreSQL.
const POSTGRES_CONNECTIONS: usize = 16;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "beacon-hub", version, about = "Beacon's hub: referrals in over HTTP, and sync between desktops.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the hub's HTTP API.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on. Plain HTTP is served on a loopback address only.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        /// Largest request body, in bytes.
        #[arg(long, default_value_t = DEFAULT_MAX_BODY)]
        max_body: usize,
        /// Requests per second each caller (each token) may make, on average.
        #[arg(long, default_value_t = Rate::default().per_second)]
        rate: f64,
        /// Requests a caller may make at once, above its rate.
        #[arg(long, default_value_t = Rate::default().burst)]
        burst: f64,
        /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Seconds a hub process holds a delivery it is attempting; if it
        /// dies meanwhile, another process (or this one restarted) takes the
        /// delivery after this long. Longer than one attempt may take.
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        delivery_lease: u64,
    },
    /// Create or bring the database's schema up to date.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Create, revoke and list tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The people who enrol desktops (`POST /v1/enrol`): add, list, disable.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// How each responder is reached when a handoff to them reaches the hub.
    Channel {
        #[command(subcommand)]
        command: ChannelCommand,
    },
    /// The hub's settings: its mail server, its public address, the
    /// escalation targets.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Set one: smtp.url, smtp.from, public-url, ack-target.P1…P4 or
    /// onscene-target.P1…P4 (`beacon-hub config list` shows them all).
    Set {
        #[command(flatten)]
        db: DbArg,
        key: String,
        value: String,
    },
    /// Every setting, with its value or default (never a password).
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand, Debug)]
enum ChannelCommand {
    /// Give a responder an email address, a webhook (an agency's CAD, an
    /// SMS or paging gateway), or both: every handoff to them goes out on
    /// each at once. Replaces what the responder had; setting a webhook
    /// again enables an endpoint that answered 410 Gone.
    Set {
        #[command(flatten)]
        db: DbArg,
        /// The roster's id of the responder.
        responder_id: String,
        /// Where handoff mail goes (it names the case, never the victim).
        #[arg(long)]
        email: Option<String>,
        /// https://… (http:// only to a loopback address).
        #[arg(long, requires = "webhook_secret")]
        webhook: Option<String>,
        /// `whsec_…`; give it twice while rotating: both sign every delivery.
        /// Or BEACON_WEBHOOK_SECRET. It never leaves the hub.
        #[arg(long, env = "BEACON_WEBHOOK_SECRET", value_delimiter = ' ', hide_env_values = true)]
        webhook_secret: Vec<String>,
    },
    /// Every responder's channels (never a secret).
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a person (password from BEACON_NEW_PASSWORD, else a prompt).
    Add {
        #[command(flatten)]
        db: DbArg,
        name: String,
        /// dispatcher, task_force, supervisor or admin.
        #[arg(long)]
        role: String,
        /// The roster's id of the responder a task-force member is.
        #[arg(long)]
        responder: Option<String>,
    },
    /// List people (never a password).
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable a person: every desktop enrolled for them is refused from now on.
    Disable {
        #[command(flatten)]
        db: DbArg,
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token and print it, once: only its hash is kept.
    Create {
        #[command(flatten)]
        db: DbArg,
        /// intake (posts referrals), device (a desktop that syncs) or admin.
        #[arg(long)]
        role: TokenRole,
        /// A name to revoke it by, e.g. `hotline-feed` or `laptop-troop-c-7`.
        #[arg(long)]
        name: String,
        /// What a device token's holder receives: all, troop:LETTER or responder:ID.
        #[arg(long, default_value = "all")]
        scope: TokenScope,
    },
    /// Revoke a token by name: every request with it is refused from now on.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(clap::Args, Debug)]
struct DbArg {
    /// The database: `sqlite:PATH` (one file, for one office) or
    /// `postgres://USER@HOST:PORT/DATABASE` (several hub processes may share it).
    #[arg(long, env = "BEACON_HUB_DB")]
    db: String,
    /// A file holding the key a SQLite database is encrypted with (a
    /// passphrase, or a raw key as x'…' with 64 hexadecimal digits); or the
    /// key itself in BEACON_HUB_DB_KEY. A new database is created encrypted.
    #[arg(long, value_name = "PATH")]
    db_key_file: Option<PathBuf>,
}

/// Shortest passphrase the hub takes for its database key.
const MIN_DB_KEY_CHARS: usize = 16;

/// The SQLite database's key: `--db-key-file`, else `BEACON_HUB_DB_KEY`, else none.
fn db_key(arg: &DbArg) -> Result<Option<String>> {
    let key = match &arg.db_key_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("reading the database key file {}", file.display()))?,
        ),
        None => std::env::var("BEACON_HUB_DB_KEY").ok(),
    };
    let Some(key) = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) else { return Ok(None) };
    if key.chars().count() < MIN_DB_KEY_CHARS {
        return Err(Usage(format!("the database key: at least {MIN_DB_KEY_CHARS} characters")).into());
    }
    Ok(Some(key))
}

/// A mistake in what was asked (exit code 2), as opposed to a failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn open(arg: &DbArg) -> Result<Arc<dyn HubDb>> {
    if let Some(path) = arg.db.strip_prefix("sqlite:") {
        if path.is_empty() {
            return Err(Usage("--db sqlite:PATH needs a path".into()).into());
        }
        let key = db_key(arg)?;
        let db = SqliteHubDb::open_keyed(&PathBuf::from(path), key.as_deref())
            .with_context(|| format!("opening the hub database {path}"))?;
        if key.is_none() {
            eprintln!(
                "beacon-hub: the database {path} is not encrypted; give --db-key-file or BEACON_HUB_DB_KEY to encrypt it"
            );
        }
        return Ok(Arc::new(db));
    }
    if arg.db.starts_with("postgres://") || arg.db.starts_with("postgresql://") {
        if db_key(arg)?.is_some() {
            return Err(Usage(
                "a database key is for SQLite; PostgreSQL is encrypted at rest by its own storage (docs/security.md)"
                    .into(),
            )
            .into());
        }
        return Ok(Arc::new(PostgresHubDb::connect(&arg.db, POSTGRES_CONNECTIONS)?));
    }
    Err(Usage("--db must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE".into()).into())
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { db, listen, max_body, rate, burst, tls_cert, tls_key, delivery_lease } => {
            let shortest = beacon_hub::delivery::webhook::TIMEOUT.as_secs() + 2;
            if delivery_lease < shortest {
                return Err(Usage(format!(
                    "--delivery-lease: at least {shortest} seconds (one attempt may take {} and is then recorded)",
                    shortest - 2
                ))
                .into());
            }
            if !(rate > 0.0 && burst >= 1.0) {
                return Err(Usage("--rate must be above 0 and --burst at least 1".into()).into());
            }
            let tls = tls_cert.zip(tls_key);
            if tls.is_none() && !listen.ip().is_loopback() {
                return Err(Usage(format!(
                    "plain HTTP is served on a loopback address only, not {}: give --tls-cert and --tls-key",
                    listen.ip()
                ))
                .into());
            }
            let db = open(&db)?;
            db.migrate().await?;
            // Handoffs go out from every hub process; the database decides which takes each.
            let worker = format!("hub-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let delivery = beacon_hub::delivery::DeliveryConfig {
                lease_ms: delivery_lease.saturating_mul(1000) as i64,
                ..Default::default()
            };
            tokio::spawn(beacon_hub::delivery::run(Arc::clone(&db), delivery, worker));
            let config = HubConfig { max_body, rate: Rate { per_second: rate, burst } };
            let hub = Hub::new(Arc::clone(&db), config).context("loading the jurisdiction layer")?;
            let app = router(hub);
            let listener = std::net::TcpListener::bind(listen).with_context(|| format!("listening on {listen}"))?;
            listener.set_nonblocking(true)?;
            let addr = listener.local_addr()?;
            match tls {
                Some((cert, key)) => {
                    // One crypto provider for the process (ring: no C toolchain beyond a compiler).
                    let _ = rustls::crypto::ring::default_provider().install_default();
                    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                        .await
                        .map_err(|e| Usage(format!("the TLS certificate or key could not be read: {e}")))?;
                    eprintln!("beacon-hub: {} database, listening on https://{addr}", db.backend());
                    axum_server::from_tcp_rustls(listener, config).serve(app.into_make_service()).await?;
                }
                None => {
                    eprintln!("beacon-hub: {} database, listening on http://{addr}", db.backend());
                    axum::serve(tokio::net::TcpListener::from_std(listener)?, app)
                        .with_graceful_shutdown(async {
                            let _ = tokio::signal::ctrl_c().await;
                        })
                        .await?;
                }
            }
        }
        Command::Migrate { db } => {
            open(&db)?.migrate().await?;
            eprintln!("beacon-hub: the database is up to date");
        }
        Command::Token { command } => match command {
            TokenCommand::Create { db, role, name, scope } => {
                if name.trim().is_empty() || name.len() > 128 {
                    return Err(Usage("a token's name is 1 to 128 characters".into()).into());
                }
                let db = open(&db)?;
                db.migrate().await?;
                let token = tokens::generate();
                db.create_token(&name, tokens::hash(&token), role, scope).await?;
                eprintln!("beacon-hub: token {name:?} ({role}) created. It is shown once; keep it now.");
                println!("{token}");
            }
            TokenCommand::Revoke { db, name } => {
                let db = open(&db)?;
                db.migrate().await?;
                if !db.revoke_token(&name).await? {
                    return Err(Usage(format!("no token is named {name:?}")).into());
                }
                eprintln!("beacon-hub: token {name:?} revoked");
            }
            TokenCommand::List { db } => {
                let db = open(&db)?;
                db.migrate().await?;
                println!("{:<32} {:<7} {:<24} STATE", "NAME", "ROLE", "SCOPE");
                for t in db.list_tokens().await? {
                    let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                    println!("{:<32} {:<7} {:<24} {state}", t.name, t.role.as_str(), t.scope.to_string());
                }
            }
        },
        Command::User { command } => user(command).await?,
        Command::Channel { command } => channel(command).await?,
        Command::Config { command } => config(command).await?,
    }
    Ok(())
}

async fn channel(command: ChannelCommand) -> Result<()> {
    use beacon_domain::delivery::{check_email, check_webhook_url, webhook_key};
    match command {
        ChannelCommand::Set { db, responder_id, email, webhook, webhook_secret } => {
            if responder_id.trim().is_empty() || responder_id.len() > 128 {
                return Err(Usage("responder: an id of 1 to 128 characters".into()).into());
            }
            if let Some(address) = &email {
                check_email(address).map_err(|e| Usage(format!("responder {responder_id}: {e}")))?;
            }
            if let Some(url) = &webhook {
                check_webhook_url(url).map_err(|e| Usage(format!("responder {responder_id}: {e}")))?;
            }
            for secret in &webhook_secret {
                webhook_key(secret).map_err(|e| Usage(format!("responder {responder_id}: {e}")))?;
            }
            let db = open(&db)?;
            db.migrate().await?;
            let channels = beacon_hub_db::ResponderChannels {
                responder_id: responder_id.clone(),
                email: email.clone(),
                webhook_url: webhook.clone(),
                webhook_secrets: if webhook.is_some() { webhook_secret } else { Vec::new() },
                webhook_disabled_at: None,
                updated_at: beacon_hub_db::now_ms(),
            };
            let on: Vec<&str> = channels.deliverable().iter().map(|c| c.as_str()).collect();
            db.set_channels(channels).await?;
            match on.is_empty() {
                false => eprintln!("beacon-hub: handoffs to {responder_id} go out by {} from now on", on.join(" and ")),
                true => eprintln!("beacon-hub: {responder_id} has no channel: handoffs reach them only by sync"),
            }
        }
        ChannelCommand::List { db } => {
            let db = open(&db)?;
            db.migrate().await?;
            println!("{:<16} {:<32} {:<48} {:<8} WEBHOOK STATE", "RESPONDER", "EMAIL", "WEBHOOK", "SECRETS");
            for c in db.list_channels().await? {
                let state = match (&c.webhook_url, c.webhook_disabled_at) {
                    (None, _) if c.email.is_none() => "no channel",
                    (None, _) => "-",
                    (Some(_), Some(_)) => "disabled (answered 410 Gone)",
                    (Some(_), None) => "active",
                };
                let url = c.webhook_url.as_deref().unwrap_or("-");
                let email = c.email.as_deref().unwrap_or("-");
                println!("{:<16} {email:<32} {url:<48} {:<8} {state}", c.responder_id, c.webhook_secrets.len());
            }
        }
    }
    Ok(())
}

async fn config(command: ConfigCommand) -> Result<()> {
    use beacon_hub_db::settings;
    match command {
        ConfigCommand::Set { db, key, value } => {
            let value = settings::check(&key, &value).map_err(|e| Usage(e.to_string()))?;
            let db = open(&db)?;
            db.migrate().await?;
            db.set_setting(&key, &value).await?;
            let pairs = [(key.clone(), value)];
            eprintln!("beacon-hub: {key} is {} from now on", beacon_hub_db::HubSettings::shown(&pairs, &key).0);
        }
        ConfigCommand::List { db } => {
            let db = open(&db)?;
            db.migrate().await?;
            let pairs = db.settings().await?;
            for key in settings::keys() {
                let (value, default) = beacon_hub_db::HubSettings::shown(&pairs, &key);
                println!("{key:<20} {value}{}", if default { "  (default)" } else { "" });
            }
        }
    }
    Ok(())
}

async fn user(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add { db, name, role, responder } => {
            let role: beacon_domain::UserRole = role.parse().map_err(|e: String| Usage(format!("--role: {e}")))?;
            let password = match std::env::var("BEACON_NEW_PASSWORD").ok().filter(|p| !p.is_empty()) {
                Some(p) => p,
                None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
                    rpassword::prompt_password(format!("Password for {name}: "))?
                }
                None => return Err(Usage("no password: set BEACON_NEW_PASSWORD, or run in a terminal".into()).into()),
            };
            let user =
                beacon_hub::people::new_user(&name, role, responder, &password).map_err(|e| Usage(e.to_string()))?;
            let db = open(&db)?;
            db.migrate().await?;
            if db.user(&name).await?.is_some() {
                return Err(Usage(format!("a person named {name:?} exists already")).into());
            }
            db.save_user(user).await?;
            eprintln!("beacon-hub: {name} ({}) added; they enrol a desktop with their password", role.label());
        }
        UserCommand::List { db } => {
            let db = open(&db)?;
            db.migrate().await?;
            println!("{:<24} {:<12} {:<16} STATE", "NAME", "ROLE", "RESPONDER");
            for u in db.list_users().await? {
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else if u.locked_until.is_some_and(|t| t > beacon_hub_db::now_ms()) {
                    "locked"
                } else {
                    "active"
                };
                let responder = u.responder_id.as_deref().unwrap_or("-");
                println!("{:<24} {:<12} {:<16} {state}", u.name, u.role.as_str(), responder);
            }
        }
        UserCommand::Disable { db, name } => {
            let db = open(&db)?;
            db.migrate().await?;
            if !db.disable_user(&name, beacon_hub_db::now_ms()).await? {
                return Err(Usage(format!("no person is named {name:?}")).into());
            }
            eprintln!("beacon-hub: {name} disabled; their desktops' tokens are revoked");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beacon-hub: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beacon-hub: {e:#}");
            if e.downcast_ref::<Usage>().is_some()
                || e.downcast_ref::<beacon_hub_db::HubDbError>()
                    .is_some_and(|e| matches!(e, beacon_hub_db::HubDbError::NameTaken(_)))
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
