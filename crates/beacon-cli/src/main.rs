//! `beacon`: the headless command line over a Beacon store.
//!
//! Exit codes: 0 success, 2 bad input or usage, 1 anything else.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod output;
mod people;
mod retention;
mod table;

use clap::Parser;
use std::process::ExitCode;

// See the workspace manifest: `referral import` reads on one thread and writes on another.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) if output::is_closed_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let user_error = err.downcast_ref::<beacon_api::ApiError>().is_some_and(|e| e.is_user_error())
                || err.downcast_ref::<commands::UsageError>().is_some();
            eprintln!("error: {err:#}");
            if let Some(beacon_api::ApiError::Rejected(records)) = err.downcast_ref::<beacon_api::ApiError>() {
                for r in records.iter().take(20) {
                    eprintln!("  {r}");
                }
            }
            ExitCode::from(if user_error { 2 } else { 1 })
        }
    }
}
