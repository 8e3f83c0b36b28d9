//! Staying in sync: sync now; again the moment the hub's live stream says
//! it holds new events, whenever this device has changes waiting to go,
//! and at least every `every`; after a failure the hub may get over (it
//! cannot be reached, it is busy), again after a pause that doubles up to a
//! minute. `beacon sync --watch` and the console's background sync both run
//! this loop.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::sync::{Client, SyncReport};
use crate::{ApiError, Beacon};

/// How often the loop looks for this device's own changes waiting to go.
const TICK: Duration = Duration::from_millis(250);
/// The longest pause after failures.
const MAX_PAUSE: Duration = Duration::from_secs(60);

impl Beacon {
    /// Keep syncing with the remembered hub until `stop` is set (checked at
    /// least every [`TICK`] and during pauses). `told` hears every
    /// outcome. Returns early only on a failure no retry can mend (a token
    /// the hub refuses, a forked store).
    pub fn sync_forever(
        &mut self,
        every: Duration,
        stop: &Arc<AtomicBool>,
        mut told: impl FnMut(&Result<SyncReport, ApiError>),
    ) -> Result<(), ApiError> {
        let (wake, woken_by) = mpsc::channel::<()>();
        let mut listening = false;
        let mut pause = Duration::from_secs(1);
        let mut last: Option<Instant> = None;
        let mut woken = false;
        while !stop.load(Ordering::Relaxed) {
            let due = woken || last.is_none_or(|t| t.elapsed() >= every) || self.sync_status()?.waiting > 0;
            if due {
                let result = self.sync_once(None, None, None);
                last = Some(Instant::now());
                told(&result);
                match result {
                    Ok(_) => {
                        pause = Duration::from_secs(1);
                        if !listening {
                            // The hub and token are remembered once a sync succeeded.
                            let client = self.remembered_client()?;
                            let (wake, stop) = (wake.clone(), Arc::clone(stop));
                            std::thread::spawn(move || listen(&client, &wake, &stop));
                            listening = true;
                        }
                    }
                    Err(e) if e.is_retryable() => {
                        sleep_unless_stopped(pause, stop);
                        pause = (pause * 2).min(MAX_PAUSE);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            woken = woken_by.recv_timeout(TICK).is_ok();
            // Several announcements while syncing: one more sync covers them.
            while woken_by.try_recv().is_ok() {}
        }
        Ok(())
    }
}

/// Read the hub's live stream and `wake` the loop on every event; reconnect
/// after a growing pause when it drops. Ends when `stop` is set or the loop
/// is gone.
fn listen(client: &Client, wake: &mpsc::Sender<()>, stop: &AtomicBool) {
    let mut pause = Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) {
        if let Ok(stream) = client.stream() {
            pause = Duration::from_secs(1);
            for line in stream.lines() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                // A read error is a dropped connection (or a hub silent past
                // its keep-alive): reconnect.
                let Ok(line) = line else { break };
                if line.starts_with("event:") && wake.send(()).is_err() {
                    return;
                }
            }
        }
        sleep_unless_stopped(pause, stop);
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

fn sleep_unless_stopped(pause: Duration, stop: &AtomicBool) {
    let until = Instant::now() + pause;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK.min(until - Instant::now()));
    }
}
