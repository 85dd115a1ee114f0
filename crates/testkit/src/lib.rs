//! Test support for ai4de.
