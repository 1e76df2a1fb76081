//! Sharing repeated string values while parsing.

use rhai::ImmutableString;

/// A direct-mapped cache of short string values, keyed by their raw bytes
/// in the input: a hit shares the `ImmutableString` instead of allocating.
/// A string is cached the second time its slot sees it in a row, so unique
/// strings (PIDs) pass through without evicting the frequent ones.
pub(super) struct StringCache<'a> {
    slots: Vec<Option<(&'a [u8], ImmutableString)>>,
    /// The hash of the last string offered to each slot.
    seen: Vec<u64>,
    bits: u32,
}

/// A slot index and the hash of the raw bytes.
#[derive(Clone, Copy)]
pub(super) struct Slot {
    index: usize,
    hash: u64,
}

/// Longer strings are rarely repeated; hashing them would not pay.
const CACHED_LENGTH: usize = 48;
const SLOT_BITS: u32 = 12;
/// A small answer (most tool calls) gets a small cache: setting up and
/// freeing 4,096 slots would cost more than the parse itself.
const SMALL_SLOT_BITS: u32 = 6;
const SMALL_INPUT: usize = 64 * 1024;

impl<'a> StringCache<'a> {
    #[cfg(test)]
    pub(super) fn new() -> Self {
        Self::for_input(usize::MAX)
    }

    /// A cache sized for an input of `length` bytes.
    pub(super) fn for_input(length: usize) -> Self {
        let bits = if length < SMALL_INPUT { SMALL_SLOT_BITS } else { SLOT_BITS };
        StringCache { slots: vec![None; 1 << bits], seen: vec![0; 1 << bits], bits }
    }

    pub(super) fn slot(&self, raw: &[u8]) -> Option<Slot> {
        if raw.len() > CACHED_LENGTH {
            return None;
        }
        let hash = hash_bytes(raw);
        let index = (hash >> (64 - self.bits)) as usize;
        Some(Slot { index, hash: hash | 1 })
    }

    pub(super) fn get(&self, slot: Slot, raw: &[u8]) -> Option<ImmutableString> {
        match &self.slots[slot.index] {
            Some((key, value)) if *key == raw => Some(value.clone()),
            _ => None,
        }
    }

    /// A string that missed: cached if its slot saw it last time too.
    pub(super) fn offer(&mut self, slot: Slot, raw: &'a [u8], value: &ImmutableString) {
        if self.seen[slot.index] == slot.hash {
            self.slots[slot.index] = Some((raw, value.clone()));
        } else {
            self.seen[slot.index] = slot.hash;
        }
    }
}

/// A quick hash of at most `CACHED_LENGTH` bytes: a few (overlapping)
/// words rather than every byte. Collisions only cost a cache miss.
fn hash_bytes(raw: &[u8]) -> u64 {
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        let end = raw.len().min(at + 8);
        bytes[..end - at].copy_from_slice(&raw[at..end]);
        u64::from_le_bytes(bytes)
    };
    let length = raw.len();
    let (first, middle, last) = if length <= 8 {
        (word(0), 0, 0)
    } else {
        (word(0), word(length / 2 - 4), word(length - 8))
    };
    let mixed = first ^ middle.rotate_left(21) ^ last.rotate_left(42) ^ length as u64;
    mixed.wrapping_mul(0x517c_c1b7_2722_0a95) ^ (mixed >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_is_shared_from_its_second_sighting() {
        let text = "sleep";
        let mut cache = StringCache::new();
        let slot = cache.slot(text.as_bytes()).expect("short strings are cached");
        assert!(cache.get(slot, text.as_bytes()).is_none());

        let first = ImmutableString::from(text);
        cache.offer(slot, text.as_bytes(), &first);
        assert!(cache.get(slot, text.as_bytes()).is_none(), "not cached on first sight");

        let second = ImmutableString::from(text);
        cache.offer(slot, text.as_bytes(), &second);
        let shared = cache.get(slot, text.as_bytes()).expect("cached on second sight");
        assert!(shared.ptr_eq(&second));
    }

    #[test]
    fn long_strings_are_not_cached() {
        let cache = StringCache::new();
        assert!(cache.slot(&[b'x'; CACHED_LENGTH + 1]).is_none());
    }

    #[test]
    fn hashes_differ_for_nearby_strings() {
        let a = hash_bytes(b"\\u003c9F35C982.0.1012\\u003e");
        let b = hash_bytes(b"\\u003c9F35C982.0.1013\\u003e");
        assert_ne!(a, b);
        assert_ne!(hash_bytes(b"info"), hash_bytes(b"infO"));
    }
}
