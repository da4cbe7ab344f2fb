//! How a process is spawned: name, mailbox, restart policy.

use std::sync::Arc;
use std::time::Duration;

use crate::event::StopReason;
use crate::mailbox::Overflow;

/// When a supervisor restarts a process that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Restart {
    /// Always restarted, whether it crashed or stopped normally.
    Permanent,
    /// Restarted after a crash (a panic, or a failed start hook), not after
    /// a normal stop. The default.
    #[default]
    Transient,
    /// Never restarted.
    Temporary,
}

impl Restart {
    /// Whether a process of this type restarts after an instance ended
    /// for `reason`: the one rule processes and supervisors both follow.
    pub(crate) fn restarts_after(self, reason: &StopReason) -> bool {
        match self {
            Self::Permanent => true,
            Self::Transient => reason.is_crash(),
            Self::Temporary => false,
        }
    }
}

/// Delay before each restart: `min(max, initial * factor^(n - 1))` for the
/// `n`th restart within the restart window, then spread by `jitter`.
///
/// The first restart waits `initial`. Once a process has run a whole
/// restart window (see [`SpawnOptions::max_restarts`]) without crashing,
/// the next restart counts as the first again.
///
/// # Examples
///
/// ```
/// use phyx::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10))
///     .factor(3.0)
///     .jitter(0.2);
/// assert_eq!(backoff.delay(2, 0.5), Duration::from_millis(300));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    factor: f64,
    jitter: f64,
}

impl Backoff {
    /// Doubling delays from `initial` up to `max`, without jitter.
    ///
    /// # Panics
    ///
    /// If `initial` is longer than `max`.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        assert!(
            initial <= max,
            "Backoff::exponential: initial ({initial:?}) is longer than max ({max:?})"
        );
        Self {
            initial,
            max,
            factor: 2.0,
            jitter: 0.0,
        }
    }

    /// No delay at all: restart at once.
    pub fn none() -> Self {
        Self::exponential(Duration::ZERO, Duration::ZERO)
    }

    /// Multiplies the delay by `factor` at each successive restart.
    ///
    /// # Panics
    ///
    /// If `factor` is below 1.0 or not finite.
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor.is_finite() && factor >= 1.0,
            "Backoff::factor: {factor} must be a finite number of at least 1.0"
        );
        self.factor = factor;
        self
    }

    /// Spreads each delay uniformly over `delay * (1 ± jitter)`, so that
    /// processes that crashed together do not restart together. The random
    /// draws come from the system's seed
    /// ([`SystemBuilder::seed`](crate::SystemBuilder::seed)).
    ///
    /// # Panics
    ///
    /// If `jitter` is not within `0.0..=1.0`.
    pub fn jitter(mut self, jitter: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&jitter),
            "Backoff::jitter: {jitter} must be within 0.0..=1.0"
        );
        self.jitter = jitter;
        self
    }

    /// The delay before restart number `attempt` (1 for the first), given
    /// a uniform random draw `random` in `0.0..1.0` (0.5 means no jitter).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        // A zero initial delay stays zero however often it grows: computed
        // naively, `0 × factor^n` is NaN once the power overflows.
        if self.initial.is_zero() || self.max.is_zero() {
            return Duration::ZERO;
        }
        let max = self.max.as_secs_f64();
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let grown = self.initial.as_secs_f64() * self.factor.powi(exponent);
        // `grown` is positive or +inf here (initial > 0, factor >= 1), never NaN.
        let capped = if grown < max { grown } else { max };
        let spread = 1.0 + self.jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        Duration::try_from_secs_f64(capped * spread).unwrap_or(self.max)
    }
}

impl Default for Backoff {
    /// 100 ms doubling up to 10 s, no jitter.
    fn default() -> Self {
        Self::exponential(Duration::from_millis(100), Duration::from_secs(10))
    }
}

/// At most `max_restarts` restarts within any window of `within`: a
/// process's restart limit ([`SpawnOptions::max_restarts`]), or a
/// supervisor's intensity (`#[supervisor(max_restarts, within)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RestartLimit {
    /// Restarts allowed within the window.
    pub max_restarts: u32,
    /// The sliding window they are counted in.
    pub within: Duration,
}

impl RestartLimit {
    /// At most `max_restarts` restarts within any window of `within`.
    pub const fn new(max_restarts: u32, within: Duration) -> Self {
        Self { max_restarts, within }
    }
}

/// Options for [`System::spawn_with`](crate::System::spawn_with) and
/// [`Ctx::spawn_with`](crate::Ctx::spawn_with).
///
/// Every option left unset falls back to the process's
/// `#[process(...)]` options, then to phyx's defaults.
///
/// # Examples
///
/// ```
/// use phyx::{Backoff, Overflow, Restart, SpawnOptions};
/// use std::time::Duration;
///
/// let options = SpawnOptions::new()
///     .name("ingest")
///     .mailbox(64)
///     .overflow(Overflow::DropOldest)
///     .restart(Restart::Permanent)
///     .backoff(Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1)))
///     .max_restarts(10, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SpawnOptions {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) mailbox: Option<usize>,
    pub(crate) overflow: Option<Overflow>,
    pub(crate) restart: Option<Restart>,
    pub(crate) backoff: Option<Backoff>,
    pub(crate) max_restarts: Option<RestartLimit>,
    pub(crate) shutdown_timeout: Option<Duration>,
}

impl SpawnOptions {
    /// Mailbox capacity used when neither `#[process(mailbox = ...)]` nor
    /// [`SpawnOptions::mailbox`] sets one.
    ///
    /// Large enough to absorb a burst from hundreds of concurrent callers;
    /// small enough that an overloaded process pushes back within milliseconds
    /// instead of growing without bound. A queue only allocates as it fills, so
    /// an idle process pays nothing for it.
    pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

    /// Restarts allowed within a sliding window before a process is given up on:
    /// 5 within 30 seconds.
    ///
    /// With the default backoff, a process that crashes at every start is
    /// restarted 5 times over about 3 seconds and then stopped, while a process
    /// that crashes once a minute is restarted forever.
    pub const DEFAULT_MAX_RESTARTS: RestartLimit = RestartLimit::new(5, Duration::from_secs(30));

    /// How long a stopping process may take to finish its current message and
    /// run its stop hook before it is abandoned: 5 seconds.
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

    /// No options set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The name shown in events, errors and traces (default: the type's
    /// name). An event-sourced process's journal is named after it
    /// (`phyx::journal`, feature `journal`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Mailbox capacity (default [`DEFAULT_MAILBOX_CAPACITY`](Self::DEFAULT_MAILBOX_CAPACITY)).
    ///
    /// # Panics
    ///
    /// If `capacity` is 0.
    pub fn mailbox(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "SpawnOptions::mailbox: capacity must be at least 1");
        self.mailbox = Some(capacity);
        self
    }

    /// What a full mailbox does with a new message (default
    /// [`Overflow::Backpressure`]).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = Some(overflow);
        self
    }

    /// When the process is restarted (default [`Restart::Transient`]).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = Some(restart);
        self
    }

    /// Delay before each restart (default [`Backoff::default`]).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Gives up on the process after more than `count` restarts within
    /// `within` (default [`DEFAULT_MAX_RESTARTS`](Self::DEFAULT_MAX_RESTARTS)).
    ///
    /// # Panics
    ///
    /// If `within` is zero.
    pub fn max_restarts(mut self, count: u32, within: Duration) -> Self {
        assert!(
            !within.is_zero(),
            "SpawnOptions::max_restarts: `within` must not be zero"
        );
        self.max_restarts = Some(RestartLimit::new(count, within));
        self
    }

    /// How long a stop may wait for the current handler and the stop hook
    /// (default [`DEFAULT_SHUTDOWN_TIMEOUT`](Self::DEFAULT_SHUTDOWN_TIMEOUT)).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Options set here win; unset ones come from `defaults`.
    pub(crate) fn or(self, defaults: Self) -> Self {
        Self {
            name: self.name.or(defaults.name),
            mailbox: self.mailbox.or(defaults.mailbox),
            overflow: self.overflow.or(defaults.overflow),
            restart: self.restart.or(defaults.restart),
            backoff: self.backoff.or(defaults.backoff),
            max_restarts: self.max_restarts.or(defaults.max_restarts),
            shutdown_timeout: self.shutdown_timeout.or(defaults.shutdown_timeout),
        }
    }

    pub(crate) fn resolve(self, type_name: &'static str) -> Settings {
        Settings {
            name: self.name.unwrap_or_else(|| type_name.into()),
            mailbox: self.mailbox.unwrap_or(Self::DEFAULT_MAILBOX_CAPACITY),
            overflow: self.overflow.unwrap_or_default(),
            restart: self.restart.unwrap_or_default(),
            backoff: self.backoff.unwrap_or_default(),
            max_restarts: self.max_restarts.unwrap_or(Self::DEFAULT_MAX_RESTARTS),
            shutdown_timeout: self.shutdown_timeout.unwrap_or(Self::DEFAULT_SHUTDOWN_TIMEOUT),
        }
    }
}

/// Every option decided.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) name: Arc<str>,
    pub(crate) mailbox: usize,
    pub(crate) overflow: Overflow,
    pub(crate) restart: Restart,
    pub(crate) backoff: Backoff,
    pub(crate) max_restarts: RestartLimit,
    pub(crate) shutdown_timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_by_factor_up_to_max() {
        let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<_> = (1..=6).map(|n| backoff.delay(n, 0.5)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(delays, [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]);
    }

    #[test]
    fn jitter_spreads_within_bounds() {
        let backoff = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(1)).jitter(0.5);
        assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(backoff.delay(1, 1.0), Duration::from_millis(1500));
    }

    #[test]
    fn huge_attempts_saturate_at_max() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(u32::MAX, 0.5), Duration::from_secs(10));
        assert_eq!(backoff.delay(1025, 0.5), Duration::from_secs(10));
        assert_eq!(backoff.factor(1.5).delay(100_000, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn a_zero_initial_delay_stays_zero_at_any_attempt() {
        let backoff = Backoff::exponential(Duration::ZERO, Duration::from_secs(10)).jitter(0.5);
        for attempt in [0, 1, 2, 1024, 1025, 1100, 100_000, u32::MAX] {
            assert_eq!(backoff.delay(attempt, 0.5), Duration::ZERO, "attempt {attempt}");
            assert_eq!(backoff.delay(attempt, 1.0), Duration::ZERO, "attempt {attempt}");
        }
        assert_eq!(Backoff::none().delay(u32::MAX, 0.9), Duration::ZERO);
    }

    #[test]
    fn every_attempt_is_within_bounds() {
        let backoff = Backoff::exponential(Duration::from_nanos(1), Duration::from_secs(10)).factor(3.0);
        let mut previous = Duration::ZERO;
        for attempt in (1..2_000).chain([u32::MAX - 1, u32::MAX]) {
            let delay = backoff.delay(attempt, 0.5);
            assert!(
                delay >= previous && delay <= Duration::from_secs(10),
                "attempt {attempt}: {delay:?}"
            );
            previous = delay;
        }
        assert_eq!(previous, Duration::from_secs(10));
    }

    #[test]
    fn spawn_options_win_over_defaults() {
        let defaults = SpawnOptions::new().mailbox(8).name("default");
        let settings = SpawnOptions::new().name("mine").or(defaults).resolve("Type");
        assert_eq!(&*settings.name, "mine");
        assert_eq!(settings.mailbox, 8);
        assert_eq!(settings.restart, Restart::Transient);
    }
}
