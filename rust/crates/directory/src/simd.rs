//! The scan's hot loops, compiled a second time with AVX2 and chosen at run time: the wheel targets the
//! baseline x86-64 (SSE2), on which 64-bit comparisons are not vectorized, while most machines running it
//! have AVX2 (four 64-bit lanes a comparison); and the matches of a block turned into bits with SSE2's byte
//! mask (`pmovmskb`, sixteen rows an instruction) instead of a shift and an `or` a row. One of the two
//! exceptions to the workspace's `unsafe_code` rule (the other is `pages.rs`).
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

/// `matched` as bits: bit `j % 64` of `bits[j / 64]` is `matched[j]` (`bits` long enough).
#[inline]
pub fn to_bits(matched: &[bool], bits: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    let byte_mask = ENABLED.load(Ordering::Relaxed);
    for (word, part) in bits.iter_mut().zip(matched.chunks(64)) {
        *word = match <&[bool; 64]>::try_from(part) {
            #[cfg(target_arch = "x86_64")]
            Ok(full) if byte_mask => mask_of(full),
            _ => part
                .iter()
                .enumerate()
                .fold(0, |acc, (j, &m)| acc | (u64::from(m) << j)),
        };
    }
}

/// The 64 flags as the bits of a word, sixteen at a time: a `bool` is the byte 0 or 1, which shifted left
/// by 7 puts each flag in its byte's top bit, the bit `pmovmskb` gathers.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask_of(flags: &[bool; 64]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_slli_epi16};
    let mut word = 0u64;
    for (k, sixteen) in flags.chunks_exact(16).enumerate() {
        #[allow(clippy::cast_ptr_alignment)] // read with an unaligned load
        let bytes = sixteen.as_ptr().cast::<__m128i>();
        // SAFETY: SSE2 is part of every x86-64 CPU; the load reads the 16 bytes of `sixteen`, each a `bool`.
        let mask = unsafe { _mm_movemask_epi8(_mm_slli_epi16(_mm_loadu_si128(bytes), 7)) };
        #[allow(clippy::cast_sign_loss)] // the mask holds 16 bits
        let mask = mask as u64;
        word |= mask << (16 * k);
    }
    word
}

/// Use (`true`, the default) or leave out the AVX2 forms, for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::{set_enabled, to_bits};

    /// The byte-mask form gives the bits the shift-and-`or` form does, for full words and a short last one.
    #[test]
    fn both_forms_of_to_bits_agree() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let flags: Vec<bool> = (0..64 * 9 + 37)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.is_multiple_of(3)
            })
            .collect();
        let expected: Vec<u64> = flags
            .chunks(64)
            .map(|part| part.iter().rev().fold(0, |acc, &f| (acc << 1) | u64::from(f)))
            .collect();
        for wide in [true, false] {
            set_enabled(wide);
            let mut bits = vec![0u64; expected.len()];
            to_bits(&flags, &mut bits);
            assert_eq!(bits, expected, "wide: {wide}");
        }
        set_enabled(true);
    }
}
