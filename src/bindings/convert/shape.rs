//! Building many maps with the same keys cheaply.
//!
//! The rows of a list all have the same keys in the same order. Sorting
//! each row's keys into a `BTreeMap` costs dozens of string comparisons;
//! instead the first row's keys are kept as a *shape*: the raw key bytes in
//! input order, and a map template with those keys. A later object whose
//! raw keys match is built by cloning the template (no comparisons) and
//! filling in its values.

use rhai::{Dynamic, Map};

use super::parse::Identifier;

/// Shapes are kept for this many nesting levels (one per level).
pub(super) const LEVELS: usize = 8;

/// Objects with fewer keys are built the ordinary way.
const MIN_KEYS: usize = 3;

pub(super) struct Shape<'a> {
    /// Raw key bytes (escapes and all), in input order.
    raw_keys: Vec<&'a [u8]>,
    /// The decoded keys, in input order.
    keys: Vec<Identifier>,
    /// For each key in sorted order, its index in input order.
    order: Vec<usize>,
    template: Map,
    /// Objects in a row at this level that did not fit.
    misses: u32,
}

impl<'a> Shape<'a> {
    /// A shape from an object's keys in input order, when they are unique.
    pub(super) fn new(raw_keys: &[&'a [u8]], keys: &[Identifier]) -> Option<Shape<'a>> {
        if keys.len() < MIN_KEYS {
            return None;
        }
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        if order.windows(2).any(|pair| keys[pair[0]] == keys[pair[1]]) {
            return None;
        }
        let template: Map = keys.iter().map(|key| (key.clone(), Dynamic::UNIT)).collect();
        Some(Shape { raw_keys: raw_keys.to_vec(), keys: keys.to_vec(), order, template, misses: 0 })
    }

    /// Whether the key at input position `index` has these raw bytes.
    pub(super) fn matches(&self, index: usize, raw: &[u8]) -> bool {
        self.raw_keys.get(index).is_some_and(|key| *key == raw)
    }

    pub(super) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The decoded keys before input position `index`.
    pub(super) fn keys_before(&self, index: usize) -> &[Identifier] {
        &self.keys[..index]
    }

    /// A map of this shape holding `values` (given in input order).
    pub(super) fn build(&mut self, values: &mut [Dynamic]) -> Map {
        self.misses = 0;
        let mut map = self.template.clone();
        for (slot, &index) in map.values_mut().zip(&self.order) {
            *slot = std::mem::take(&mut values[index]);
        }
        map
    }

    /// Counts an object that did not fit; true when the shape should be
    /// replaced by the next one seen.
    pub(super) fn missed(&mut self) -> bool {
        self.misses += 1;
        self.misses >= 2
    }
}
