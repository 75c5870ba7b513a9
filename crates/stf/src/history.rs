//! Recent history (GP section 7): the transition of $\beta = (\beta_H, \beta_B)$, the last
//! $\mathsf{H}$ blocks' information and the accumulation-output log (a Merkle mountain belt).
//!
//! Block import runs it in two steps, as the GP does: [`fix_parent_state_root`] gives
//! $\beta_H^\dagger$ (GP (7.5)), used by the reports subsystem, before accumulation;
//! [`append_block`] gives $\beta'$ (GP (7.7)–(7.8)) once the accumulation root is known.

use marmalade_merkle::MmrExt;
use marmalade_types::constants::RECENT_HISTORY_LEN;
use marmalade_types::{
    BlockInfo, BlocksHistory, HeaderHash, Mmr, OpaqueHash, RecentBlocks, ReportedWorkPackage,
    StateRoot,
};

/// $\beta_H^\dagger$ (GP (7.5)): the history with the last entry's state root, left zero when
/// it was added, set to the parent state root $\mathbf{H}_R$ now known. An empty history stays
/// empty.
pub fn fix_parent_state_root(
    history: &BlocksHistory,
    parent_state_root: StateRoot,
) -> BlocksHistory {
    let mut h = history.clone();
    if let Some(last) = h.last_mut() {
        last.state_root = parent_state_root;
    }
    h
}

/// $\mathcal{A}(b, r, \mathcal{H}_K)$ (GP (7.7), (E.8)): the belt with `root` appended, Keccak
/// merging equal mountains.
pub fn append_to_belt(belt: &Mmr, root: OpaqueHash) -> Mmr {
    belt.appended(root)
}

/// $\mathcal{M}_R(b)$ (GP (E.10)): the belt's super-peak with Keccak.
pub fn super_peak(belt: &Mmr) -> OpaqueHash {
    belt.super_peak()
}

/// $\beta'$ from $\beta_H^\dagger$ and $\beta_B$ (GP (7.7)–(7.8)): the belt gets the
/// accumulation root; the history gets the new block (header hash, the new belt's super-peak,
/// a zero state root and its reported packages) and keeps its last $\mathsf{H}$ entries.
///
/// The reported packages are a dictionary from package hash to exports root (GP (7.8)), kept
/// sorted by package hash, its serialization order; a repeated package hash (which the
/// reports subsystem rejects) keeps its first exports root.
pub fn append_block(
    history_dagger: &BlocksHistory,
    belt: &Mmr,
    header_hash: HeaderHash,
    accumulate_root: OpaqueHash,
    work_packages: &[ReportedWorkPackage],
) -> RecentBlocks {
    let mmr = append_to_belt(belt, accumulate_root);
    let mut reported = work_packages.to_vec();
    reported.sort_by_key(|p| p.hash);
    reported.dedup_by_key(|p| p.hash);
    let block = BlockInfo {
        header_hash,
        beefy_root: super_peak(&mmr),
        state_root: [0; 32],
        reported,
    };
    let keep = history_dagger.len().min(RECENT_HISTORY_LEN - 1);
    let mut history = Vec::with_capacity(keep + 1);
    history.extend_from_slice(&history_dagger[history_dagger.len() - keep..]);
    history.push(block);
    RecentBlocks { history, mmr }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Input {
        header_hash: HeaderHash,
        parent_state_root: StateRoot,
        accumulate_root: OpaqueHash,
        work_packages: Vec<ReportedWorkPackage>,
    }

    /// Both steps, as the vectors apply them.
    fn transition(beta: &RecentBlocks, input: &Input) -> RecentBlocks {
        let dagger = fix_parent_state_root(&beta.history, input.parent_state_root);
        append_block(
            &dagger,
            &beta.mmr,
            input.header_hash,
            input.accumulate_root,
            &input.work_packages,
        )
    }

    fn input(n: u8) -> Input {
        Input {
            header_hash: [n; 32],
            parent_state_root: [n.wrapping_add(100); 32],
            accumulate_root: [n.wrapping_add(200); 32],
            work_packages: vec![
                ReportedWorkPackage {
                    hash: [9; 32],
                    exports_root: [1; 32],
                },
                ReportedWorkPackage {
                    hash: [3; 32],
                    exports_root: [2; 32],
                },
            ],
        }
    }

    #[test]
    fn keeps_the_last_h_blocks_and_fixes_the_parent_root() {
        let mut beta = RecentBlocks::default();
        for n in 0..20u8 {
            beta = transition(&beta, &input(n));
            let h = &beta.history;
            assert_eq!(h.len(), usize::from(n + 1).min(RECENT_HISTORY_LEN));
            let last = h.last().unwrap();
            assert_eq!(last.header_hash, [n; 32]);
            assert_eq!(last.state_root, [0; 32]);
            assert_eq!(last.beefy_root, super_peak(&beta.mmr));
            assert_eq!(last.reported[0].hash, [3; 32]);
            if n > 0 {
                // The previous block's root is this block's H_R.
                assert_eq!(h[h.len() - 2].state_root, [n + 100; 32]);
                assert_eq!(h[h.len() - 2].header_hash, [n - 1; 32]);
            }
        }
        // 20 = 0b10100 leaves.
        let present: Vec<bool> = beta.mmr.peaks.iter().map(|p| p.is_some()).collect();
        assert_eq!(present, vec![false, false, true, false, true]);
    }
}
