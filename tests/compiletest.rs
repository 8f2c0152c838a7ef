//! UI tests of `#[workflow]` and `#[task]`: what fails to compile says why, at the user's
//! tokens (`TRYBUILD=overwrite cargo test --test compiletest` refreshes the `.stderr` files,
//! made with rustc 1.95; review the diff like code).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/attr/*.rs");
    t.compile_fail("tests/ui/body/*.rs");
    t.compile_fail("tests/ui/types/*.rs");
    t.compile_fail("tests/ui/graph/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
