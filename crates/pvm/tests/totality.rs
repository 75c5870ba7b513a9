//! The decoder and the interpreter are total: random blobs and random code never panic them,
//! and execution with bounded gas always stops.

use marmalade_pvm::{
    disassemble, invoke_marshalling, Access, GasModel, HostCalls, HostOutcome, Instance, Machine,
    NoTrace, Program, ProgramCode, StandardProgram,
};
use proptest::prelude::*;

struct Echo;

impl HostCalls for Echo {
    fn host_call(&mut self, _: u64, m: &mut dyn Instance) -> HostOutcome {
        m.set_gas(m.gas() - 10);
        HostOutcome::Continue
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_blobs_never_panic_the_decoder(blob in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Program::from_blob(&blob);
        let _ = StandardProgram::parse(&blob);
        let _ = StandardProgram::parse_service_code(&blob);
        let _ = disassemble(&blob);
        let r = invoke_marshalling(&blob, 0, 1000, b"args", &mut Echo);
        prop_assert!(r.gas_used <= 1000);
    }

    #[test]
    fn random_code_never_panics_the_interpreter(
        code in proptest::collection::vec(any::<u8>(), 0..300),
        mask_seed in proptest::collection::vec(any::<bool>(), 0..300),
        jump_table in proptest::collection::vec(0u64..400, 0..8),
        regs in proptest::array::uniform13(prop_oneof![
            any::<u64>(),
            0u64..0x30000,
            Just(0xffff_0000u64),
            0x1fff0u64..0x21010,
        ]),
        pc in 0u32..320,
        gas in 0i64..5000,
        per_instruction in any::<bool>(),
    ) {
        let bitmask: Vec<bool> = (0..code.len())
            .map(|i| i == 0 || mask_seed.get(i).copied().unwrap_or(false))
            .collect();
        let model = if per_instruction { GasModel::PerInstruction } else { GasModel::BasicBlock };
        let p = Program::new(ProgramCode {
            code: code.clone(),
            bitmask,
            jump_table_len: jump_table.len() as u64,
            jump_table,
        })
        .with_gas_model(model);
        let mut m = Machine::new(gas);
        m.regs = regs;
        m.pc = pc;
        m.memory.set_access(0x20000, 0x2000, Some(Access::ReadWrite), true);
        m.memory.set_access(0x10000, 0x1000, Some(Access::ReadOnly), true);
        m.memory.heap_top = 0x22000;
        let _ = p.instruction_at(pc).to_string();
        let mut steps = 0u64;
        let exit = marmalade_pvm::run(&p, &mut m, &mut |_: &Program, _: u32, _: &[u64; 13], _: i64| steps += 1);
        // every executed instruction costs at least one gas
        prop_assert!(steps <= gas as u64 + 1);
        prop_assert!(m.gas <= gas);
        let mut m2 = Machine::new(gas);
        m2.regs = regs;
        m2.pc = pc;
        m2.memory.set_access(0x20000, 0x2000, Some(Access::ReadWrite), true);
        m2.memory.set_access(0x10000, 0x1000, Some(Access::ReadOnly), true);
        m2.memory.heap_top = 0x22000;
        // tracing does not change the outcome
        prop_assert_eq!(marmalade_pvm::run(&p, &mut m2, &mut NoTrace), exit);
        prop_assert_eq!(m2, m);
    }
}
