//! Guarantor assignments (GP section 11.3, (11.18)–(11.22)): which core each validator
//! guarantees for in a rotation, and under which keys.
//!
//! The core indices $[\lfloor \mathsf{C} i / \mathsf{V} \rfloor \mid i \in \mathbb{N}_\mathsf{V}]$
//! give each core $\mathsf{V}/\mathsf{C}$ validators (three in the full configuration); they
//! are shuffled with the epochal entropy $\eta'_2$ (not $\eta'_1$, to avoid fork magnification
//! at epoch ends) and rotated by one core every $\mathsf{R}$ slots.

use marmalade_crypto::shuffle::shuffle;
use marmalade_types::{
    ChainSpec, CoreIndex, Ed25519Public, EntropyBuffer, Hash, TimeSlot, ValidatorData,
};

/// $R(\mathbf{c}, n)$ (GP (11.19)): every core index moved on by `n`, modulo $\mathsf{C}$.
pub fn rotate(spec: &ChainSpec, cores: &mut [CoreIndex], n: u32) {
    let c = spec.cores as u64;
    if c == 0 {
        return;
    }
    for x in cores {
        // Fits: x < C and n mod C < C, both below 2^16.
        *x = ((u64::from(*x) + u64::from(n)) % c) as CoreIndex;
    }
}

/// $P(e, t)$ (GP (11.20)): the core of each validator at timeslot `slot`, under the epochal
/// entropy `entropy`:
/// $R(\mathcal{F}([\lfloor \mathsf{C} i / \mathsf{V} \rfloor \mid i \in \mathbb{N}_\mathsf{V}], e),
/// \lfloor (t \bmod \mathsf{E}) / \mathsf{R} \rfloor)$.
///
/// The result has $\mathsf{V}$ entries, indexed by validator index.
pub fn guarantor_assignments(spec: &ChainSpec, entropy: &Hash, slot: TimeSlot) -> Vec<CoreIndex> {
    let v = spec.validators;
    // C·i/V < C ≤ 2^16 for i < V, so the cast is exact.
    let base: Vec<CoreIndex> = (0..v)
        .map(|i| (spec.cores * i / v.max(1)) as CoreIndex)
        .collect();
    let mut cores = shuffle(base, entropy);
    let phase = slot % spec.epoch_length.max(1);
    rotate(spec, &mut cores, phase / spec.rotation_period.max(1));
    cores
}

/// A guarantor assignment $\mathbf{M} = (\mathbf{c}, \mathbf{k})$ (GP (11.18)): the core of
/// each validator and its Ed25519 key after the key nullifier $\Phi$ (GP (6.14)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuarantorAssignments {
    /// $\mathbf{c}$: the core assigned to each validator index.
    pub cores: Vec<CoreIndex>,
    /// The Ed25519 key $k_e$ of each validator of $\Phi(\mathbf{k})$; `None` where $\Phi$
    /// replaced the key with the null key because it belongs to an offender (in
    /// $\psi'_O$): such a validator cannot sign guarantees.
    pub keys: Vec<Option<Ed25519Public>>,
}

impl GuarantorAssignments {
    /// $\mathbf{M} \equiv (P(\eta'_2, \tau'), \Phi(\kappa'))$ (GP (11.21)): the assignment of
    /// the rotation of timeslot `slot` ($\tau'$), with the posterior entropy `entropy`
    /// ($\eta'$), active validators `active` ($\kappa'$) and offenders ($\psi'_O$).
    pub fn current(
        spec: &ChainSpec,
        entropy: &EntropyBuffer,
        slot: TimeSlot,
        active: &[ValidatorData],
        offenders: &[Ed25519Public],
    ) -> Self {
        GuarantorAssignments {
            cores: guarantor_assignments(spec, &entropy[2], slot),
            keys: nullified_keys(active, offenders),
        }
    }

    /// $\mathbf{M}^*$ (GP (11.22)): the assignment of the previous rotation, at
    /// $\tau' - \mathsf{R}$. If that slot is in the same epoch as $\tau'$, it uses $\eta'_2$ and
    /// $\kappa'$ (`active`); otherwise the previous epoch's $\eta'_3$ and $\lambda'$
    /// (`previous`).
    pub fn previous(
        spec: &ChainSpec,
        entropy: &EntropyBuffer,
        slot: TimeSlot,
        active: &[ValidatorData],
        previous: &[ValidatorData],
        offenders: &[Ed25519Public],
    ) -> Self {
        // τ' − R in the integers: before the first full rotation it is negative, which puts it
        // in "another epoch" (such a rotation is never used: every guarantee slot t ≤ τ' < R is
        // in τ''s rotation). Euclidean division keeps the phase in ℕ_E.
        let e = i64::from(spec.epoch_length.max(1));
        let t = i64::from(slot) - i64::from(spec.rotation_period);
        let same_epoch = t.div_euclid(e) == i64::from(slot) / e;
        let (eta, keys) = if same_epoch {
            (&entropy[2], active)
        } else {
            (&entropy[3], previous)
        };
        // t mod E < E ≤ 2^32: the phase fits a timeslot, and P only uses t mod E.
        let phase = t.rem_euclid(e) as TimeSlot;
        GuarantorAssignments {
            cores: guarantor_assignments(spec, eta, phase),
            keys: nullified_keys(keys, offenders),
        }
    }

    /// The core of validator `v` and its key, `None` if `v` is not a validator index.
    pub fn get(&self, v: usize) -> Option<(CoreIndex, Option<Ed25519Public>)> {
        Some((*self.cores.get(v)?, *self.keys.get(v)?))
    }
}

/// $\Phi(\mathbf{k})$ (GP (6.14)), keeping only the Ed25519 keys: the keys of offenders
/// become `None` (the null key).
fn nullified_keys(
    keys: &[ValidatorData],
    offenders: &[Ed25519Public],
) -> Vec<Option<Ed25519Public>> {
    let banned: std::collections::HashSet<&Ed25519Public> = offenders.iter().collect();
    keys.iter()
        .map(|k| (!banned.contains(&k.ed25519)).then_some(k.ed25519))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_core_gets_v_over_c_guarantors() {
        for spec in [ChainSpec::TINY, ChainSpec::FULL] {
            let cores = guarantor_assignments(&spec, &[7; 32], 0);
            assert_eq!(cores.len(), spec.validators);
            let mut count = vec![0usize; spec.cores];
            for c in &cores {
                count[*c as usize] += 1;
            }
            assert!(count.iter().all(|n| *n == spec.validators / spec.cores));
        }
    }

    #[test]
    fn rotation_moves_every_validator_one_core_on() {
        let spec = ChainSpec::FULL;
        let a = guarantor_assignments(&spec, &[3; 32], 0);
        // Same rotation: same assignment.
        assert_eq!(
            a,
            guarantor_assignments(&spec, &[3; 32], spec.rotation_period - 1)
        );
        let b = guarantor_assignments(&spec, &[3; 32], spec.rotation_period);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((*x as usize + 1) % spec.cores, *y as usize);
        }
        // The rotation is by the slot's phase in the epoch.
        assert_eq!(a, guarantor_assignments(&spec, &[3; 32], spec.epoch_length));
    }

    #[test]
    fn previous_rotation_switches_to_the_previous_epoch_keys() {
        let spec = ChainSpec::TINY;
        let mut curr = vec![ValidatorData::NULL; spec.validators];
        let mut prev = vec![ValidatorData::NULL; spec.validators];
        for (i, (c, p)) in curr.iter_mut().zip(prev.iter_mut()).enumerate() {
            c.ed25519 = [i as u8 + 1; 32];
            p.ed25519 = [i as u8 + 101; 32];
        }
        let eta = EntropyBuffer([[0; 32], [1; 32], [2; 32], [3; 32]]);
        let offenders = [[2u8; 32]];
        // τ' = 14, R = 4, E = 12: τ' − R = 10 is in the previous epoch.
        let m = GuarantorAssignments::previous(&spec, &eta, 14, &curr, &prev, &offenders);
        assert_eq!(m.cores, guarantor_assignments(&spec, &[3; 32], 10));
        assert_eq!(m.keys[0], Some([101; 32]));
        // τ' = 20: τ' − R = 16 is in the same epoch.
        let m = GuarantorAssignments::previous(&spec, &eta, 20, &curr, &prev, &offenders);
        assert_eq!(m.cores, guarantor_assignments(&spec, &[2; 32], 16));
        assert_eq!(m.keys[0], Some([1; 32]));
        assert_eq!(m.keys[1], None, "offenders are nulled");
        let g = GuarantorAssignments::current(&spec, &eta, 20, &curr, &offenders);
        assert_eq!(g.cores, guarantor_assignments(&spec, &[2; 32], 20));
        assert_eq!(g.get(spec.validators), None);
        // Before the first rotation ends: no panic.
        let _ = GuarantorAssignments::previous(&spec, &eta, 1, &curr, &prev, &offenders);
    }
}
