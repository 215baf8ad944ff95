//! The random numbers the core draws: the application's `get_random` callback, or a PCG
//! generator seeded by the operating system.

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::hash::BuildHasher;

use rand_core::{SeedableRng, TryRng};
use rand_pcg::Pcg32;

/// Feeds the core from `get_random` when set, else from an OS-seeded PCG.
pub(crate) enum CallbackRng {
    Callback(Box<dyn FnMut() -> u32 + Send>),
    Pcg(Pcg32),
}

impl CallbackRng {
    pub(crate) fn new(get_random: Option<Box<dyn FnMut() -> u32 + Send>>) -> Self {
        match get_random {
            Some(f) => CallbackRng::Callback(f),
            // RandomState is keyed from the operating system's random source.
            None => CallbackRng::Pcg(Pcg32::seed_from_u64(RandomState::new().hash_one(0u8))),
        }
    }

    fn next(&mut self) -> u32 {
        match self {
            CallbackRng::Callback(f) => f(),
            CallbackRng::Pcg(pcg) => rand_core::Rng::next_u32(pcg),
        }
    }
}

impl TryRng for CallbackRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.next())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.next()) << 32 | u64::from(self.next()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
        Ok(())
    }
}
