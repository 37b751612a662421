//! CPU-heavy work (password hashing, loan-book simulations, scoring many profiles, query embedding)
//! runs off the async workers, on tokio's blocking threads behind a bounded number of permits, so a
//! burst of heavy requests can never take every thread that answers `/healthz` and ordinary pages.
//!
//! Heavy endpoints also pass a per-caller budget ([`HeavyLimiter`]): a few requests a minute per
//! signed-in user, refused with 429 and `Retry-After` past that, and refused with 503 at once when
//! every permit is taken instead of queueing without bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult, Code};

/// The bounded pool: `permits` tasks at once.
pub struct CpuPool {
    permits: Semaphore,
    size: usize,
}

impl CpuPool {
    pub fn new(size: usize) -> CpuPool {
        let size = size.max(1);
        CpuPool {
            permits: Semaphore::new(size),
            size,
        }
    }

    /// Tasks that may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `f` on a blocking thread once a permit is free (waits for one).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::internal("the CPU pool is closed"))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(ApiError::internal)
    }

    /// Runs `f` when a permit is free now, else answers 503 at once (heavy endpoints: a request that
    /// would wait behind others is refused rather than queued).
    pub async fn try_run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let Ok(_permit) = self.permits.try_acquire() else {
            return Err(ApiError::new(
                Code::Busy,
                "the server is busy with other heavy requests; try again in a few seconds",
            ));
        };
        tokio::task::spawn_blocking(f)
            .await
            .map_err(ApiError::internal)
    }
}

/// Heavy requests per caller in a fixed window of one minute.
pub struct HeavyLimiter {
    per_minute: usize,
    seen: Mutex<HashMap<i64, (Instant, usize)>>,
}

impl HeavyLimiter {
    pub const WINDOW: Duration = Duration::from_secs(60);

    pub fn new(per_minute: usize) -> HeavyLimiter {
        HeavyLimiter {
            per_minute: per_minute.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one heavy request of `user`; 429 with the seconds to wait when over the budget.
    pub fn admit(&self, user: i64) -> ApiResult<()> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < Self::WINDOW);
        }
        let entry = seen.entry(user).or_insert((now, 0));
        if now.duration_since(entry.0) >= Self::WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let wait = Self::WINDOW
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1);
            return Err(ApiError::new(
                Code::RateLimited,
                format!(
                    "at most {} heavy requests a minute; try again in {wait} s",
                    self.per_minute
                ),
            )
            .retry_after(wait));
        }
        entry.1 += 1;
        Ok(())
    }
}
