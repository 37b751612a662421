//! The clock of workflow writes (engagements, notifications, signatures): the wall clock, shifted
//! only while the demo replays a believable history in the past.

use std::sync::atomic::Ordering;

use chrono::Utc;

use crate::Store;

impl Store {
    /// Sets how far from now (seconds; negative: the past) workflow writes are stamped; the demo
    /// replays its history with it, then sets it back to 0. Every clone shares it.
    pub fn set_clock_offset(&self, secs: i64) {
        self.clock_offset.store(secs, Ordering::SeqCst);
    }

    /// Unix seconds for workflow writes (see [`Store::set_clock_offset`]).
    pub fn now_ts(&self) -> i64 {
        Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }
}
