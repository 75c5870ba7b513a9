//! The disassembler: one instruction per line with its code index and operands.

use crate::blob::{BlobError, ProgramCode, StandardProgram};
use crate::instruction::decode;
use std::fmt::Write;

/// The disassembly of a program blob: the `deblob` format, a standard program (GP (A.37)) or
/// service code (metadata then a standard program). An error if it is none of them, or if a
/// standard program's code does not parse.
pub fn disassemble(blob: &[u8]) -> Result<String, BlobError> {
    if let Ok(code) = ProgramCode::deblob(blob) {
        return Ok(disassemble_code(&code));
    }
    let (metadata, p) = StandardProgram::parse(blob)
        .map(|p| (None, p))
        .or_else(|e| {
            StandardProgram::parse_service_code(blob)
                .map(|(m, p)| (Some(m), p))
                .map_err(|_| e)
        })?;
    let mut out = String::new();
    if let Some(m) = metadata {
        let _ = writeln!(out, "; metadata: {} bytes", m.len());
    }
    let _ = writeln!(
        out,
        "; ro_data {} bytes, rw_data {} bytes, heap pages {}, stack {} bytes",
        p.ro_data.len(),
        p.rw_data.len(),
        p.heap_pages,
        p.stack_size
    );
    out.push_str(&disassemble_code(&ProgramCode::deblob(p.code)?));
    Ok(out)
}

/// Disassembles `(c, k, j)`.
pub fn disassemble_code(code: &ProgramCode) -> String {
    let mut out = String::new();
    if code.jump_table_len > 0 {
        let _ = writeln!(out, "; jump table ({} entries):", code.jump_table_len);
        for (i, t) in code.jump_table.iter().enumerate() {
            let _ = writeln!(out, ";   [{}] -> @{t}", (i + 1) * 2);
        }
    }
    let c = &code.code;
    let k = &code.bitmask;
    let mut after_terminator = true;
    for pc in 0..c.len() {
        if !k[pc] {
            continue;
        }
        let inst = decode(c, k, pc as u32);
        let end = (inst.next_pc() as usize).min(c.len());
        let bytes: Vec<String> = c[pc..end].iter().map(|b| format!("{b:02x}")).collect();
        let marker = if after_terminator { ">" } else { " " };
        let _ = writeln!(out, "{marker}{pc:>6}: {:<24} {inst}", bytes.join(" "));
        after_terminator = inst.opcode.is_none_or(|o| o.is_terminator());
    }
    out
}
