//! placeholder: see src/README.md
