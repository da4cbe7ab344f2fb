//! Compile-fail and compile-pass cases of phyx's macros; see `tests/ui.rs`.
