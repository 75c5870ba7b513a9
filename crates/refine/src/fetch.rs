//! The data $\mathbf{v}$ of `fetch` ($\Omega_Y$, GP appendix B, "General Functions") in the
//! in-core invocations: Ψ_I passes $\Omega_Y(\dots, p, \varnothing, \varnothing, \varnothing,
//! \varnothing, \varnothing, \varnothing)$ (GP (B.2)), Ψ_R passes $\Omega_Y(\dots, p,
//! \mathbf{H}_0, \mathbf{r}, i, \overline{\mathbf{i}}, \overline{\mathbf{x}}, \varnothing)$
//! (GP (B.6)). Neither has accumulation inputs, so selectors 14 and 15 are always `NONE`.

use marmalade_codec::{encode_natural, Encode};
use marmalade_host::protocol_constants;
use marmalade_types::{ChainSpec, Segment, WorkItem, WorkPackage};
use std::borrow::Cow;
use std::cell::OnceCell;

/// What Ψ_R adds to $\Omega_Y$'s arguments beyond the package.
#[derive(Clone, Copy)]
pub(crate) struct RefineData<'a> {
    /// $\mathbf{r}$: the authorizer trace.
    pub auth_trace: &'a [u8],
    /// $i$: the index of the item being refined.
    pub item: usize,
    /// $\overline{\mathbf{i}}$: every item's imported segments.
    pub imports: &'a [Vec<Segment>],
    /// $\overline{\mathbf{x}}$: every item's extrinsic blobs.
    pub extrinsics: &'a [Vec<Vec<u8>>],
}

/// $\Omega_Y$'s data source: the package (with its encodings computed on first use) and, in
/// Ψ_R, the refine data.
pub(crate) struct FetchData<'a> {
    spec: &'a ChainSpec,
    package: &'a WorkPackage,
    refine: Option<RefineData<'a>>,
    constants: OnceCell<Vec<u8>>,
    encoded_package: OnceCell<Vec<u8>>,
    encoded_context: OnceCell<Vec<u8>>,
    encoded_items: OnceCell<Vec<u8>>,
}

/// $S(w)$ (GP appendix B, $\Omega_Y$): $\mathcal{E}_4(w_s) \frown w_c \frown
/// \mathcal{E}_8(w_g, w_a) \frown \mathcal{E}_2(w_e, |w_\mathbf{i}|, |w_\mathbf{x}|) \frown
/// \mathcal{E}_4(|w_\mathbf{y}|)$.
pub(crate) fn item_summary(w: &WorkItem, out: &mut Vec<u8>) {
    out.extend_from_slice(&w.service.to_le_bytes());
    out.extend_from_slice(&w.code_hash);
    out.extend_from_slice(&w.refine_gas_limit.to_le_bytes());
    out.extend_from_slice(&w.accumulate_gas_limit.to_le_bytes());
    out.extend_from_slice(&w.export_count.to_le_bytes());
    // Counts above 2^16 (or a payload above 2^32) make no valid package; truncation is E_2/E_4's.
    out.extend_from_slice(&(w.import_segments.len() as u16).to_le_bytes());
    out.extend_from_slice(&(w.extrinsic.len() as u16).to_le_bytes());
    out.extend_from_slice(&(w.payload.len() as u32).to_le_bytes());
}

impl<'a> FetchData<'a> {
    /// Ψ_I's source (no refine data), or Ψ_R's.
    pub(crate) fn new(
        spec: &'a ChainSpec,
        package: &'a WorkPackage,
        refine: Option<RefineData<'a>>,
    ) -> Self {
        FetchData {
            spec,
            package,
            refine,
            constants: OnceCell::new(),
            encoded_package: OnceCell::new(),
            encoded_context: OnceCell::new(),
            encoded_items: OnceCell::new(),
        }
    }

    /// $\mathbf{v}$ for the registers $\omega_{10}$ (selector), $\omega_{11}$, $\omega_{12}$;
    /// `None` is $\varnothing$ (`NONE`).
    pub(crate) fn get(&self, r: &[u64; 13]) -> Option<Cow<'_, [u8]>> {
        let p = self.package;
        let idx = |x: u64| usize::try_from(x).ok();
        let b = |v: &'a [u8]| Some(Cow::Borrowed(v));
        match r[10] {
            0 => Some(Cow::Borrowed(
                self.constants.get_or_init(|| protocol_constants(self.spec)),
            )),
            // n = H_0 in Ψ_R; ∅ in Ψ_I.
            1 => self.refine.map(|_| Cow::Owned(vec![0; 32])),
            2 => b(self.refine?.auth_trace),
            3 => {
                let x = self.refine?.extrinsics;
                b(x.get(idx(r[11])?)?.get(idx(r[12])?)?)
            }
            4 => {
                let d = self.refine?;
                b(d.extrinsics.get(d.item)?.get(idx(r[11])?)?)
            }
            5 => {
                let i = self.refine?.imports;
                b(&i.get(idx(r[11])?)?.get(idx(r[12])?)?[..])
            }
            6 => {
                let d = self.refine?;
                b(&d.imports.get(d.item)?.get(idx(r[11])?)?[..])
            }
            7 => Some(Cow::Borrowed(
                self.encoded_package.get_or_init(|| p.encode()),
            )),
            8 => b(&p.authorizer_config),
            9 => b(&p.authorization),
            10 => Some(Cow::Borrowed(
                self.encoded_context.get_or_init(|| p.context.encode()),
            )),
            11 => Some(Cow::Borrowed(self.encoded_items.get_or_init(|| {
                let mut out = Vec::with_capacity(9 + p.items.len() * 62);
                encode_natural(p.items.len() as u64, &mut out);
                p.items.iter().for_each(|w| item_summary(w, &mut out));
                out
            }))),
            12 => {
                let mut out = Vec::with_capacity(62);
                item_summary(p.items.get(idx(r[11])?)?, &mut out);
                Some(Cow::Owned(out))
            }
            13 => b(&p.items.get(idx(r[11])?)?.payload),
            _ => None,
        }
    }
}
