//! The PVM test vectors (w3f jamtestvectors `pvm/programs/*.json`, schema `schema.asn`):
//! one program run from given registers, pc, page map, memory and gas, with the expected
//! outcome. Used by the conformance runner ([`crate::pvm`]), its tests and `marmalade pvm run`.

use marmalade_pvm::{run, Access, ExitReason, GasModel, Machine, NoTrace, Program};
use serde::Deserialize;

/// A page-map entry: an accessible range.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PageMapEntry {
    /// Start address.
    pub address: u32,
    /// Length in bytes.
    pub length: u32,
    /// Writable, else read-only.
    pub is_writable: bool,
}

/// Bytes at an address.
#[derive(Debug, Clone, Deserialize)]
pub struct MemoryChunk {
    /// Start address.
    pub address: u32,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// One test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ProgramTest {
    /// Test name.
    pub name: String,
    /// `ω`.
    pub initial_regs: [u64; 13],
    /// `ı`.
    pub initial_pc: u32,
    /// Accessible pages.
    pub initial_page_map: Vec<PageMapEntry>,
    /// Non-zero initial memory.
    pub initial_memory: Vec<MemoryChunk>,
    /// `ϱ`.
    pub initial_gas: i64,
    /// The program blob (`deblob` format).
    pub program: Vec<u8>,
    /// `halt`, `panic`, `page-fault` (or `out-of-gas`, `host`).
    pub expected_status: String,
    /// `ω'`.
    pub expected_regs: [u64; 13],
    /// `ı'`.
    pub expected_pc: u32,
    /// Non-zero memory after the run; every other accessible byte must be zero.
    pub expected_memory: Vec<MemoryChunk>,
    /// `ϱ'`.
    pub expected_gas: i64,
    /// The faulting page address, for `page-fault`.
    #[serde(default)]
    pub expected_page_fault_address: Option<u32>,
}

/// The vectors' name of an exit reason.
pub fn status_name(exit: ExitReason) -> &'static str {
    match exit {
        ExitReason::Halt => "halt",
        ExitReason::Panic => "panic",
        ExitReason::OutOfGas => "out-of-gas",
        ExitReason::PageFault(_) => "page-fault",
        ExitReason::HostCall(_) => "host",
    }
}

impl ProgramTest {
    /// Parses a test case from JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// The initial machine.
    pub fn machine(&self) -> Result<Machine, String> {
        let mut m = Machine::new(self.initial_gas);
        m.regs = self.initial_regs;
        m.pc = self.initial_pc;
        for p in &self.initial_page_map {
            m.memory
                .set_access(p.address, p.length as u64, Some(Access::ReadWrite), false);
        }
        for c in &self.initial_memory {
            m.memory
                .write(c.address, &c.contents)
                .map_err(|e| format!("initial memory at 0x{:x}: {e:?}", c.address))?;
        }
        for p in &self.initial_page_map {
            if !p.is_writable {
                m.memory
                    .set_access(p.address, p.length as u64, Some(Access::ReadOnly), false);
            }
        }
        Ok(m)
    }

    /// Runs the case with the vectors' gas model ([`GasModel::BasicBlock`]); `Err` names the
    /// first difference from the expected outcome.
    pub fn run(&self) -> Result<(), String> {
        self.run_with(GasModel::BasicBlock)
    }

    /// Runs the case with the given gas model.
    pub fn run_with(&self, model: GasModel) -> Result<(), String> {
        let program = Program::from_blob(&self.program).map(|p| p.with_gas_model(model));
        let mut m = self.machine()?;
        let exit = match &program {
            Ok(p) => run(p, &mut m, &mut NoTrace),
            // GP (A.1): an undecodable blob panics with the state unchanged
            Err(_) => ExitReason::Panic,
        };
        self.check(exit, &mut m)
    }

    /// Compares an outcome with the expected one.
    pub fn check(&self, exit: ExitReason, m: &mut Machine) -> Result<(), String> {
        if status_name(exit) != self.expected_status {
            return Err(format!(
                "status: expected {}, got {exit:?}",
                self.expected_status
            ));
        }
        for i in 0..13 {
            if m.regs[i] != self.expected_regs[i] {
                return Err(format!(
                    "r{i}: expected 0x{:x}, got 0x{:x}",
                    self.expected_regs[i], m.regs[i]
                ));
            }
        }
        if m.pc != self.expected_pc {
            return Err(format!("pc: expected {}, got {}", self.expected_pc, m.pc));
        }
        if m.gas != self.expected_gas {
            return Err(format!(
                "gas: expected {}, got {}",
                self.expected_gas, m.gas
            ));
        }
        if let Some(addr) = self.expected_page_fault_address {
            if exit != ExitReason::PageFault(addr) {
                return Err(format!(
                    "page-fault address: expected 0x{addr:x}, got {exit:?}"
                ));
            }
        }
        // memory: expected chunks, zero elsewhere
        for c in &self.expected_memory {
            let mut got = vec![0u8; c.contents.len()];
            m.memory
                .read(c.address, &mut got)
                .map_err(|e| format!("memory at 0x{:x} not readable: {e:?}", c.address))?;
            if got != c.contents {
                return Err(format!(
                    "memory at 0x{:x}: expected {:?}, got {got:?}",
                    c.address, c.contents
                ));
            }
        }
        for (start, data) in m.memory.written_pages() {
            for (off, &b) in data.iter().enumerate() {
                let addr = start as u64 + off as u64;
                if b != 0
                    && !self.expected_memory.iter().any(|c| {
                        addr >= c.address as u64
                            && addr < c.address as u64 + c.contents.len() as u64
                    })
                {
                    return Err(format!("memory at 0x{addr:x}: expected 0, got {b}"));
                }
            }
        }
        Ok(())
    }
}
