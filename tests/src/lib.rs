//! Processes shared by the behaviour tests in `tests/tests/`.
