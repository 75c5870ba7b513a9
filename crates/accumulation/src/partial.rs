//! $\mathbb{S}$, the partial state accumulation works on (its own module, below both the
//! invocation and the pipeline, so neither imports the other's file).

use crate::account::Accounts;
use marmalade_types::{AuthQueues, Privileges, ValidatorsData};

/// $\mathbb{S}$ (GP (12.16)): the state components accumulation reads and writes.
#[derive(Debug, Clone)]
pub struct PartialState<'a> {
    /// $\mathbf{d}$: the service accounts, as changes over the prior state's.
    pub accounts: Accounts<'a>,
    /// $\mathbf{i}$: the staging set ($\iota$).
    pub staging_set: ValidatorsData,
    /// $\mathbf{q}$: the authorizer queues ($\varphi$).
    pub auth_queue: AuthQueues,
    /// $(m, \mathbf{a}, v, r, \mathbf{z})$: the privileges ($\chi$).
    pub privileges: Privileges,
}
