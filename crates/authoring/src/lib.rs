//! Block authoring (GP sections 5, 6): a block sealed over a parent state.
