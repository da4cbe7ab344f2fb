//! Every misuse of phyx's macros is a spanned compile error with a fix in
//! its message; every supported shape compiles.
//!
//! Regenerate the `.stderr` files after an intended change with
//! `TRYBUILD=overwrite cargo test -p phyx-ui-tests`, then review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/pass/*.rs");
    cases.compile_fail("tests/ui/*/*.rs");
}
