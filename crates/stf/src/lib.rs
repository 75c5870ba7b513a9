//! The on-chain subsystems of the Gray Paper 0.7.2 as pure state-transition functions.
//!
//! Each subsystem borrows the state components it reads (named by their GP symbols, often
//! gathered in a `Prior` of references) and the block's extrinsic part, and returns only
//! what it produces: the posterior values it changes, owned, and its outputs (a `Posterior`),
//! or a typed error whose variants map one-to-one onto the error codes of the subsystem's
//! conformance schema. Nothing is copied to call a subsystem, and a failing transition
//! changes nothing. The conformance vectors' state, input and output shapes, and the adapters
//! from them to these functions, live in the `marmalade-conformance` crate.

#![deny(unsafe_code)]

pub mod assurances;
pub mod authorizations;
pub mod disputes;
pub mod history;
pub mod preimages;
pub mod reports;
pub mod safrole;
pub mod statistics;

/// `BadTicketOrder` → `bad_ticket_order`: an error variant's name as the conformance schemas
/// spell its code (for reports and logs that name the rule a block breaks).
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
