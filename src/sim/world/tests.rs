//! Cross-module tests of the world.
