//! Tests of the in-core invocations.
