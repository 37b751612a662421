//! CPU-heavy work inside async use cases.

/// Runs CPU-heavy work (encoding a query: tens of milliseconds) without stalling the other tasks of
/// the async worker it is called on: on a multi-threaded runtime (the server) the worker first hands
/// its queue to the others (`block_in_place`); elsewhere (the command line, tests) it simply runs.
pub fn cpu_bound<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// With one async worker, a task doing 300 ms of blocking work through `cpu_bound` leaves the
    /// worker's other task running (it would stall it for the whole 300 ms otherwise).
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn cpu_work_does_not_stall_the_other_tasks_of_its_worker() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            for _ in 0..40 {
                t.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let before = ticks.load(Ordering::Relaxed);
        let during = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                super::cpu_bound(|| std::thread::sleep(Duration::from_millis(300)));
                ticks.load(Ordering::Relaxed)
            }
        })
        .await
        .unwrap();
        assert!(
            during >= before + 10,
            "ticks {before} → {during} during the blocking work"
        );
        ticker.await.unwrap();
    }
}
