//! Authorization pools (GP section 8): each block, every core's authorizer pool $\alpha[c]$
//! loses the authorizer a guaranteed report of the block used on that core, and gains the
//! item of its authorizer queue $\varphi'[c]$ at the block's timeslot, keeping the most recent
//! $\mathsf{O}$ entries (GP (8.2), (8.3)).
//!
//! The pool update reads the *posterior* queue $\varphi'$, so block import must run it after
//! accumulation (which alone may change $\varphi$). The vectors give $\varphi'$ as the state's
//! `auth_queues`, which this subsystem leaves unchanged.

use marmalade_codec::{Decode, Encode};
use marmalade_types::constants::AUTH_POOL_SIZE;
use marmalade_types::{
    AuthPools, AuthQueues, AuthorizerHash, CoreIndex, GuaranteesExtrinsic, TimeSlot,
};

/// The part of a guarantee this subsystem needs: the core a report is for and the authorizer
/// it used, $((g_\mathbf{r})_c, (g_\mathbf{r})_a)$ for $g \in \mathbf{E}_G$ (the vectors'
/// `CoreAuthorizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode)]
pub struct CoreAuthorizer {
    /// $(g_\mathbf{r})_c$: the report's core.
    pub core: CoreIndex,
    /// $(g_\mathbf{r})_a$: the report's authorizer hash.
    pub auth_hash: AuthorizerHash,
}

/// The core authorizers of a guarantees extrinsic, in extrinsic order.
pub fn core_authorizers(guarantees: &GuaranteesExtrinsic) -> Vec<CoreAuthorizer> {
    guarantees
        .iter()
        .map(|g| CoreAuthorizer {
            core: g.report.core_index,
            auth_hash: g.report.authorizer_hash,
        })
        .collect()
}

/// The authorization pools' transition (GP (8.2), (8.3)) for a block at timeslot `slot`
/// ($\mathbf{H}_T$) whose guarantees used the authorizers `used` (see [`core_authorizers`]):
/// $\alpha'[c] = \overleftarrow{F(c) \frown \varphi'[c][\mathbf{H}_T]^\circlearrowleft}^{\mathsf{O}}$,
/// where $F(c)$ is $\alpha[c]$ without the left-most occurrence of the authorizer used by a
/// guarantee on core $c$, if there is one. Returns $\alpha'$; $\varphi'$ is read only.
///
/// Total on any input: authorizers for cores outside the pools, or absent from the pool, are
/// ignored (the reports subsystem has already rejected such guarantees, GP (11.28)); a core
/// with no queue (only possible for a hand-made state) just keeps its filtered pool.
pub fn transition(
    alpha: &AuthPools,
    phi_post: &AuthQueues,
    slot: TimeSlot,
    used: &[CoreAuthorizer],
) -> AuthPools {
    let mut pools = alpha.clone();
    for (core, pool) in pools.iter_mut().enumerate() {
        // F(c): the GP has at most one guarantee per core (GP (11.23)); removing the
        // authorizer of each one for the core is the same then and stays total otherwise.
        for used in used.iter().filter(|a| usize::from(a.core) == core) {
            if let Some(i) = pool.iter().position(|h| *h == used.auth_hash) {
                pool.remove(i);
            }
        }
        // φ'[c][H_t]↺: the queue is indexed cyclically by the timeslot.
        if let Some(queue) = phi_post.get(core) {
            if !queue.is_empty() {
                let at = (slot as usize) % queue.len();
                pool.push(queue[at]);
            }
        }
        // ←^O: keep the last O items.
        if pool.len() > AUTH_POOL_SIZE {
            pool.drain(..pool.len() - AUTH_POOL_SIZE);
        }
    }
    pools
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_types::constants::AUTH_QUEUE_SIZE;
    use marmalade_types::AuthQueue;

    fn h(n: u8) -> AuthorizerHash {
        [n; 32]
    }

    struct TestState {
        auth_pools: AuthPools,
        auth_queues: AuthQueues,
    }

    struct Input {
        slot: TimeSlot,
        auths: Vec<CoreAuthorizer>,
    }

    fn run(pre: &TestState, input: &Input) -> TestState {
        TestState {
            auth_pools: transition(&pre.auth_pools, &pre.auth_queues, input.slot, &input.auths),
            auth_queues: pre.auth_queues.clone(),
        }
    }

    fn state(pools: Vec<Vec<AuthorizerHash>>) -> TestState {
        let queues = (0..pools.len())
            .map(|c| {
                AuthQueue(
                    (0..AUTH_QUEUE_SIZE)
                        .map(|i| {
                            let mut x = [0xee; 32];
                            x[0] = c as u8;
                            x[1] = i as u8;
                            x
                        })
                        .collect(),
                )
            })
            .collect::<Vec<_>>();
        TestState {
            auth_pools: pools.into(),
            auth_queues: queues.into(),
        }
    }

    #[test]
    fn removes_leftmost_used_authorizer_then_appends_queue_item() {
        let pre = state(vec![vec![h(1), h(2), h(1)], vec![h(3)]]);
        let input = Input {
            slot: AUTH_QUEUE_SIZE as u32 + 7,
            auths: vec![CoreAuthorizer {
                core: 0,
                auth_hash: h(1),
            }],
        };
        let post = run(&pre, &input);
        let q0 = pre.auth_queues[0][7];
        let q1 = pre.auth_queues[1][7];
        assert_eq!(post.auth_pools[0], vec![h(2), h(1), q0]);
        assert_eq!(post.auth_pools[1], vec![h(3), q1]);
        assert_eq!(post.auth_queues, pre.auth_queues);
    }

    #[test]
    fn keeps_the_last_o_items() {
        let full: Vec<_> = (0..AUTH_POOL_SIZE as u8).map(h).collect();
        let pre = state(vec![full.clone(), vec![]]);
        let input = Input {
            slot: 3,
            auths: vec![],
        };
        let post = run(&pre, &input);
        let mut want = full[1..].to_vec();
        want.push(pre.auth_queues[0][3]);
        assert_eq!(post.auth_pools[0], want);
        assert_eq!(post.auth_pools[1], vec![pre.auth_queues[1][3]]);
    }

    #[test]
    fn ignores_unknown_cores_and_authorizers() {
        let pre = state(vec![vec![h(1)], vec![h(2)]]);
        let input = Input {
            slot: 0,
            auths: vec![
                CoreAuthorizer {
                    core: 9,
                    auth_hash: h(1),
                },
                CoreAuthorizer {
                    core: 1,
                    auth_hash: h(1),
                },
            ],
        };
        let post = run(&pre, &input);
        assert_eq!(post.auth_pools[0], vec![h(1), pre.auth_queues[0][0]]);
        assert_eq!(post.auth_pools[1], vec![h(2), pre.auth_queues[1][0]]);
    }
}
