//! Response targets and the link window: read and change (as events).

use crate::{ApiError, Beacon};
use beacon_domain::Action;

impl Beacon {
    /// Response targets and the link window in force.
    pub fn settings(&self) -> Result<beacon_store::Settings, ApiError> {
        Ok(self.store().settings()?)
    }

    /// Change one priority's targets (minutes); recorded as an event.
    pub fn set_target(
        &mut self,
        p: beacon_domain::Priority,
        ack_minutes: u32,
        arrival_minutes: Option<u32>,
    ) -> Result<(), ApiError> {
        self.require(Action::ManageSettings)?;
        if ack_minutes == 0 || ack_minutes > 60 * 24 * 30 {
            return Err(ApiError::invalid(format!("{p} target"), "ack", "must be between 1 minute and 30 days"));
        }
        if arrival_minutes.is_some_and(|a| a < ack_minutes || a > 60 * 24 * 30) {
            return Err(ApiError::invalid(
                format!("{p} target"),
                "arrive",
                "must be at least the acknowledgement target and at most 30 days",
            ));
        }
        let mut s = self.settings()?;
        s.targets.set(p, beacon_domain::triage::Target { ack_minutes, arrival_minutes });
        self.save_settings(s)
    }

    /// Change how many days apart two referrals may be and still be linked.
    pub fn set_link_window(&mut self, days: i64) -> Result<(), ApiError> {
        self.require(Action::ManageSettings)?;
        if !(1..=3650).contains(&days) {
            return Err(ApiError::invalid("link window", "days", "must be between 1 and 3650"));
        }
        let mut s = self.settings()?;
        s.link_window_days = days;
        self.save_settings(s)
    }

    fn save_settings(&mut self, s: beacon_store::Settings) -> Result<(), ApiError> {
        let actor = self.actor().clone();
        self.store_mut().write::<_, ApiError>(|w| {
            w.append(
                &actor,
                None,
                beacon_domain::EventBody::SettingsChanged { targets: s.targets, link_window_days: s.link_window_days },
            )?;
            Ok(())
        })
    }
}
