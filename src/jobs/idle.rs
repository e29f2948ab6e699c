//! Computation that must not slow the requests beside it. On a two-core machine the
//! conversations worker's maths (about a second of one core at a time on a large
//! conversation) competes with the threads that answer votes; at the same priority a vote
//! that arrives mid-computation waits for its turn on a core. Here the work runs on a thread
//! of its own under Linux's `SCHED_IDLE` policy: a waking request thread takes the core at
//! once, and the maths has whatever the requests leave. It still progresses on a busy
//! machine (the scheduler gives an idle-policy thread a small share, not none).

use anyhow::Result;

/// Runs `work` on a new thread at idle priority and waits for its answer.
pub async fn run<T, F>(work: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("townhall-idle".into())
        .spawn(move || {
            lower_this_thread();
            let _ = answer.send(work());
        })?;
    answered
        .await
        .map_err(|_| anyhow::anyhow!("the background computation stopped before it finished"))
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `sched_setscheduler` reads `param` and changes only the calling thread (pid 0);
    // lowering one's own policy to SCHED_IDLE needs no privilege.
    let failed = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
    if failed {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "could not lower the background thread's priority; it runs at normal priority"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[tokio::test]
    async fn the_work_runs_under_the_idle_policy_and_answers() {
        let policy = super::run(|| unsafe { libc::sched_getscheduler(0) })
            .await
            .unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
        // The caller's own thread is left as it was.
        assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error_not_a_hang() {
        let answer = super::run(|| -> u8 { panic!("deliberately") }).await;
        assert!(answer.is_err());
    }
}
