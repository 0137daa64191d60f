//! The scan's hot loops, compiled a second time with AVX2 and chosen at run time: the wheel targets the
//! baseline x86-64 (SSE2), on which 64-bit comparisons are not vectorized, while most machines running it
//! have AVX2 (four 64-bit lanes a comparison). One of the two exceptions to the workspace's `unsafe_code` rule
//! (the other is `pages.rs`).
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

/// Off: every loop takes its baseline form (tests compare the two).
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Run `body` (a loop over a block, inlined here), compiled with AVX2 when the CPU has it.
#[inline]
pub fn wide<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if ENABLED.load(Ordering::Relaxed) && has_avx2() {
        // SAFETY: the CPU has every feature `avx2` enables (detected by `has_avx2`).
        return unsafe { avx2(body) };
    }
    body()
}

/// AVX2 and the bit instructions that came with it (`popcnt`, `tzcnt`, `blsr` for the match bitmaps).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx2") && has!("popcnt") && has!("bmi1") && has!("bmi2") && has!("lzcnt")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
unsafe fn avx2<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// Use (`true`, the default) or leave out the AVX2 forms, for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}
