//! Slot clocks: which timeslot it is now, and waiting for a slot to begin.
//!
//! GP section 4 (time): seconds are counted from the JAM Common Era, 1200 UTC on January 1,
//! 2025; a timeslot index, a member of $\mathbb{T}$ (GP (4.28)), is the number of whole
//! $\mathsf{P}$ = 6-second periods since then.

use marmalade_types::TimeSlot;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The JAM Common Era in Unix seconds: 2025-01-01 12:00:00 UTC (GP section 4).
pub const JAM_EPOCH_UNIX_SECS: u64 = 1_735_732_800;

/// $\mathsf{P}$: the slot period, 6 seconds (GP's constants, appendix I), in milliseconds.
pub const SLOT_PERIOD_MS: u64 = 6_000;

/// The longest sleep between two looks at the stop flag, so that a stop request is seen
/// promptly even with 6-second slots.
const POLL: Duration = Duration::from_millis(50);

/// A source of the current timeslot.
pub trait SlotClock {
    /// The timeslot now.
    fn now(&self) -> TimeSlot;

    /// Waits until `slot` has begun; `false` if `stop` was set first (then it returns
    /// without waiting further).
    fn wait_until(&self, slot: TimeSlot, stop: &AtomicBool) -> bool;
}

/// The wall clock: slots of `slot_ms` milliseconds since the JAM Common Era ($\mathsf{P}$ =
/// 6000 ms on a real chain; shorter for tests).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    slot_ms: u64,
}

impl SystemClock {
    /// A clock of `slot_ms`-millisecond slots; `None` if `slot_ms` is zero.
    pub fn new(slot_ms: u64) -> Option<Self> {
        (slot_ms > 0).then_some(SystemClock { slot_ms })
    }

    /// The slot length in milliseconds.
    pub fn slot_ms(&self) -> u64 {
        self.slot_ms
    }

    /// Milliseconds since the JAM Common Era (zero before it).
    fn elapsed_ms(&self) -> u64 {
        let era = UNIX_EPOCH + Duration::from_secs(JAM_EPOCH_UNIX_SECS);
        SystemTime::now()
            .duration_since(era)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

impl SlotClock for SystemClock {
    /// Saturates at the last timeslot $2^{32}-1$ (reached in 2842 with 6-second slots;
    /// sooner with very short test slots).
    fn now(&self) -> TimeSlot {
        TimeSlot::try_from(self.elapsed_ms() / self.slot_ms).unwrap_or(TimeSlot::MAX)
    }

    fn wait_until(&self, slot: TimeSlot, stop: &AtomicBool) -> bool {
        let start = u64::from(slot).saturating_mul(self.slot_ms);
        loop {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            let now = self.elapsed_ms();
            if now >= start {
                return true;
            }
            std::thread::sleep(Duration::from_millis(start - now).min(POLL));
        }
    }
}

/// A virtual clock for tests: time stands still until waited on, and waiting for a slot moves
/// it there at once.
#[derive(Debug, Default)]
pub struct VirtualClock {
    slot: AtomicU32,
}

impl VirtualClock {
    /// A clock at `slot`.
    pub fn at(slot: TimeSlot) -> Self {
        VirtualClock {
            slot: AtomicU32::new(slot),
        }
    }

    /// Moves the clock to `slot` if that is later.
    pub fn advance_to(&self, slot: TimeSlot) {
        self.slot.fetch_max(slot, Ordering::Relaxed);
    }
}

impl SlotClock for VirtualClock {
    fn now(&self) -> TimeSlot {
        self.slot.load(Ordering::Relaxed)
    }

    fn wait_until(&self, slot: TimeSlot, stop: &AtomicBool) -> bool {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        self.advance_to(slot);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-01-01 12:00:00 UTC: the days of 55 years since 1970 (14 of them leap: 1972 ...
    /// 2024), plus half a day; the GP's footnote says 1,735,732,800 seconds.
    #[test]
    fn jam_epoch_is_2025_01_01_noon_utc() {
        let days = 55 * 365 + 14;
        assert_eq!(JAM_EPOCH_UNIX_SECS, days * 86_400 + 12 * 3_600);
    }

    #[test]
    fn system_clock_counts_slots_since_the_jam_epoch() {
        assert!(SystemClock::new(0).is_none());
        let clock = SystemClock::new(SLOT_PERIOD_MS).unwrap();
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let expected = (secs - JAM_EPOCH_UNIX_SECS) / 6;
        let now = u64::from(clock.now());
        assert!(now.abs_diff(expected) <= 1, "{now} vs {expected}");
        // A past slot has begun; a stop request ends a wait for a future one.
        let stop = AtomicBool::new(false);
        assert!(clock.wait_until(clock.now(), &stop));
        stop.store(true, Ordering::Relaxed);
        assert!(!clock.wait_until(clock.now() + 100, &stop));
    }

    #[test]
    fn virtual_clock_jumps_when_waited_on() {
        let clock = VirtualClock::at(5);
        let stop = AtomicBool::new(false);
        assert!(clock.wait_until(9, &stop));
        assert_eq!(clock.now(), 9);
        // Never backwards.
        assert!(clock.wait_until(3, &stop));
        assert_eq!(clock.now(), 9);
        stop.store(true, Ordering::Relaxed);
        assert!(!clock.wait_until(20, &stop));
        assert_eq!(clock.now(), 9);
    }
}
