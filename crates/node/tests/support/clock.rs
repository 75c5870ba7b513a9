//! A wall clock with short slots for in-process node tests.

// Each test file compiles this module for itself and uses a part of it.
#![allow(dead_code)]

use marmalade_node::SlotClock;
use marmalade_types::TimeSlot;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Slot 0 until `start`, slot 1 from then on, one slot per `slot_ms`; waiting for a slot after
/// `last` returns `false` (the loop ends).
pub struct ShortSlots {
    pub start: Instant,
    pub slot_ms: u64,
    pub last: TimeSlot,
}

impl ShortSlots {
    /// When `slot` begins.
    pub fn at(&self, slot: TimeSlot) -> Instant {
        self.start + Duration::from_millis(u64::from(slot.saturating_sub(1)) * self.slot_ms)
    }
}

impl SlotClock for ShortSlots {
    fn now(&self) -> TimeSlot {
        match Instant::now().checked_duration_since(self.start) {
            Some(d) => 1 + (d.as_millis() / u128::from(self.slot_ms)) as TimeSlot,
            None => 0,
        }
    }

    fn wait_until(&self, slot: TimeSlot, stop: &AtomicBool) -> bool {
        if slot > self.last {
            return false;
        }
        while self.now() < slot {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        !stop.load(Ordering::Relaxed)
    }
}
