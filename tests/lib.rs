//! Tests-only package: the end-to-end tests are the files beside this one.
