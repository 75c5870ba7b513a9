//! What every mutation test checks after building a block a correct node must reject.

use marmalade_chain::ChainError;
use marmalade_fuzzer::Generator;
use marmalade_types::{Block, HeaderHash};

/// Imports `bad` (built on `parent`) into the generator's chain and asserts that it is
/// rejected with nothing changed: the head, `parent`'s root, and no state stored under the
/// block's hash (GP (4.1): only a valid block has a posterior state). The chain's error, for
/// the caller to check the rule.
pub fn import_rejected(
    g: &mut Generator,
    bad: &Block,
    parent: &HeaderHash,
    what: &dyn std::fmt::Display,
) -> ChainError {
    let head = g.chain().head();
    let parent_root = g.chain().state_root(parent).unwrap();
    let err = match g.import(bad) {
        Err(e) => e,
        Ok(_) => panic!("{what}: the mutated block was imported"),
    };
    assert_eq!(g.chain().head(), head, "{what}: the head moved");
    assert_eq!(
        g.chain().state_root(parent).unwrap(),
        parent_root,
        "{what}: the parent's root changed"
    );
    assert_eq!(
        g.chain().state_root(&bad.header.hash()).unwrap(),
        // A mutation that keeps the header (a dropped extrinsic element) shares the hash of
        // the original, which is not imported yet either.
        None,
        "{what}: a state was stored for the mutated block"
    );
    err
}
