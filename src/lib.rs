//! Tests-only package: see tests/.
