//! Poseidon for the EVM, generated from the same circomlib parameters as the native hash and
//! the gadget: `verifier-contracts/src/PoseidonT{width}.sol`. The permutation is the optimised
//! one of `poseidon::optimized` (sparse partial rounds: 2t − 1 products a round instead of
//! t²), fully unrolled with every constant inline and the state in stack variables, so a hash
//! costs only its arithmetic. Sums are reduced only when they could overflow a word (see
//! [`LIMIT`]). Where the constants do not fit EIP-170's 24,576 bytes of code in one contract,
//! the rounds are split over a chain of contracts, each calling the next with the state.
//!
//! A test checks the committed contracts are what this module generates (set
//! `VERITY_WRITE_CONTRACTS=1` to rewrite them), another compares them on an EVM with the
//! native hash, and the contracts' build refuses code over the size limit.

use std::fmt::Write;

use ark_ff::{BigInteger, PrimeField, Zero};

use super::optimized::{sbox, Matrix, OptimizedPoseidon, Sparse};
use super::parameters;
use crate::Fr;

/// The widths Verity's contracts use: `Poseidon(chain_id, rollup)` and forced exits' queue
/// steps (3), tree nodes and leaves (5), deposits' queue steps (6). Payouts had width 4 until
/// they were bound by a polynomial instead (2026-12-03).
pub const CONTRACT_WIDTHS: [usize; 3] = [3, 5, 6];

/// Values below `LIMIT · r` fit a 256-bit word (2^256 / r ≈ 5.29): `add` (3 gas) stands in
/// for `addmod` (8 gas) while a sum stays below that, and `mulmod` takes any word.
const LIMIT: u32 = 5;

/// Bytes of inline constants (33 per `PUSH32`) one contract may hold: the rest of EIP-170's
/// 24,576 bytes is the opcodes between them (about 1,800 at width 4, the largest contract in
/// one piece; the contracts' build refuses any over the limit).
const CONSTANT_BYTES_PER_CONTRACT: usize = 21_500;

/// The contract name for a width: the one callers use.
pub fn contract_name(width: usize) -> String {
    format!("PoseidonT{width}")
}

/// The name of part `part` (from 1) of the chain behind [`contract_name`], which part
/// `part − 1` calls.
pub fn part_name(width: usize, part: usize) -> String {
    format!("PoseidonT{width}Part{part}")
}

fn hex(value: &Fr) -> String {
    format!("0x{}", ::hex::encode(value.into_bigint().to_bytes_be()))
}

/// One step of the permutation, in `OptimizedPoseidon::hash`'s order.
enum Step<'a> {
    /// A full round with its round constants.
    Full(&'a [Fr]),
    /// A partial round: the first word's constant and the sparse matrix.
    Partial(Fr, &'a Sparse),
    /// The dense lower block after the last partial round.
    Correction(&'a Matrix),
    /// The last full round, of which only the first output word is needed.
    Last(&'a [Fr]),
}

impl Step<'_> {
    /// How many `PUSH32` constants the step's code holds.
    fn constants(&self, width: usize) -> usize {
        match self {
            Step::Full(_) => width + width * width,
            Step::Partial(..) => 2 * width,
            Step::Correction(_) => (width - 1) * (width - 1),
            Step::Last(_) => 2 * width,
        }
    }
}

fn steps(hasher: &OptimizedPoseidon) -> Vec<Step<'_>> {
    let mut steps: Vec<Step> = hasher.first_full.iter().map(|c| Step::Full(c)).collect();
    steps.extend(
        hasher
            .partial_constants
            .iter()
            .zip(&hasher.sparse)
            .map(|(c, m)| Step::Partial(*c, m)),
    );
    steps.push(Step::Correction(&hasher.correction));
    let (last, full) = hasher.last_full.split_last().expect("full rounds");
    steps.extend(full.iter().map(|c| Step::Full(c)));
    steps.push(Step::Last(last));
    steps
}

/// Splits the steps into contracts of at most [`CONSTANT_BYTES_PER_CONTRACT`] of constants
/// each, evenly.
fn parts<'a>(steps: Vec<Step<'a>>, width: usize) -> Vec<Vec<Step<'a>>> {
    let total: usize = steps.iter().map(|s| 33 * s.constants(width)).sum();
    let count = total.div_ceil(CONSTANT_BYTES_PER_CONTRACT);
    let share = total.div_ceil(count);
    let mut parts = vec![Vec::new()];
    let mut bytes = 0;
    for step in steps {
        let size = 33 * step.constants(width);
        if bytes + size > share && parts.len() < count {
            parts.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        parts.last_mut().expect("a part").push(step);
    }
    parts
}

/// A state word while generating: known at generation time (the capacity word before the
/// first round), or a Yul variable below `bound · r`.
#[derive(Clone, Copy)]
enum Word {
    Known(Fr),
    Below(u32),
}

/// Writes the Yul of a run of steps over the state variables `s0..s{t−1}` and `p` (= r).
struct Emitter {
    body: String,
    words: Vec<Word>,
}

const INDENT: &str = "            ";

impl Emitter {
    fn line(&mut self, depth: usize, text: &str) {
        writeln!(self.body, "{INDENT}{}{text}", "    ".repeat(depth)).unwrap();
    }

    /// `word + constant`, with `add` while the bound allows.
    fn plus(&self, i: usize, constant: &Fr) -> String {
        match self.words[i] {
            Word::Below(bound) if bound < LIMIT => format!("add(s{i}, {})", hex(constant)),
            _ => format!("addmod(s{i}, {}, p)", hex(constant)),
        }
    }

    /// The sum of terms each below r, reduced only where it would overflow. It nests to the
    /// right: Yul evaluates arguments right to left, so `add(a, add(b, c))` holds at most two
    /// partial values on the stack where `add(add(a, b), c)` would hold every term.
    fn sum(terms: Vec<String>) -> (String, u32) {
        let mut terms = terms.into_iter().rev();
        let mut expression = terms.next().expect("a term");
        let mut bound = 1;
        for term in terms {
            if bound < LIMIT {
                expression = format!("add({term}, {expression})");
                bound += 1;
            } else {
                expression = format!("addmod({term}, {expression}, p)");
                bound = 1;
            }
        }
        (expression, bound)
    }

    /// `Σ_j row[j] · s_j` over the words `first..`, known words folded into one constant.
    fn dot(&self, row: &[Fr], first: usize) -> (String, u32) {
        let mut known = Fr::zero();
        let mut terms = Vec::new();
        for (j, m) in row.iter().enumerate() {
            match self.words[first + j] {
                Word::Known(value) => known += value * m,
                Word::Below(_) => terms.push(format!("mulmod(s{}, {}, p)", first + j, hex(m))),
            }
        }
        if !known.is_zero() || terms.is_empty() {
            terms.push(hex(&known));
        }
        Self::sum(terms)
    }

    /// Assigns `rows · s[first..]` to `s[first..]`: all but the last row through fresh
    /// variables (every row reads the old words), the last one directly.
    fn multiply(&mut self, rows: &Matrix, first: usize) {
        let sums: Vec<(String, u32)> = rows.iter().map(|row| self.dot(row, first)).collect();
        self.line(0, "{");
        let last = sums.len() - 1;
        for (i, (expression, _)) in sums[..last].iter().enumerate() {
            self.line(1, &format!("let n{} := {expression}", first + i));
        }
        self.line(1, &format!("s{} := {}", first + last, sums[last].0));
        for i in 0..last {
            self.line(1, &format!("s{0} := n{0}", first + i));
        }
        self.line(0, "}");
        for (i, (_, bound)) in sums.into_iter().enumerate() {
            self.words[first + i] = Word::Below(bound);
        }
    }

    /// Round constants and S-boxes of a full round.
    fn sboxes(&mut self, constants: &[Fr]) {
        for (i, c) in constants.iter().enumerate() {
            match self.words[i] {
                Word::Known(value) => self.words[i] = Word::Known(sbox(value + c)),
                Word::Below(_) => {
                    let x = self.plus(i, c);
                    self.line(0, "{");
                    self.line(1, &format!("let x := {x}"));
                    self.line(1, "let x2 := mulmod(x, x, p)");
                    self.line(1, &format!("s{i} := mulmod(mulmod(x2, x2, p), x, p)"));
                    self.line(0, "}");
                    self.words[i] = Word::Below(1);
                }
            }
        }
    }

    fn step(&mut self, step: &Step, mds: &Matrix) {
        match step {
            Step::Full(constants) => {
                self.sboxes(constants);
                self.multiply(mds, 0);
            }
            Step::Partial(constant, sparse) => {
                let x = self.plus(0, constant);
                self.line(0, "{");
                self.line(1, &format!("let x := {x}"));
                self.line(1, "let f := mulmod(x, x, p)");
                self.line(1, "f := mulmod(mulmod(f, f, p), x, p)");
                let mut terms = vec![format!("mulmod(f, {}, p)", hex(&sparse.m00))];
                terms.extend(
                    sparse
                        .v
                        .iter()
                        .enumerate()
                        .map(|(j, v)| format!("mulmod(s{}, {}, p)", j + 1, hex(v))),
                );
                let (top, bound) = Self::sum(terms);
                self.line(1, &format!("s0 := {top}"));
                self.words[0] = Word::Below(bound);
                for (j, w) in sparse.w.iter().enumerate() {
                    let i = j + 1;
                    let Word::Below(old) = self.words[i] else {
                        unreachable!("only the capacity word is known, before the first round")
                    };
                    let product = format!("mulmod(f, {}, p)", hex(w));
                    if old < LIMIT {
                        self.line(1, &format!("s{i} := add(s{i}, {product})"));
                        self.words[i] = Word::Below(old + 1);
                    } else {
                        self.line(1, &format!("s{i} := addmod(s{i}, {product}, p)"));
                        self.words[i] = Word::Below(1);
                    }
                }
                self.line(0, "}");
            }
            Step::Correction(lower) => self.multiply(lower, 1),
            Step::Last(constants) => {
                self.sboxes(constants);
                let (expression, bound) = self.dot(&mds[0], 0);
                if bound == 1 {
                    self.line(0, &format!("result := {expression}"));
                } else {
                    self.line(0, &format!("result := mod({expression}, p)"));
                }
            }
        }
    }
}

const HEADER: &str = "// SPDX-License-Identifier: MIT
// Generated by verity-circuits (poseidon::solidity) from circomlib's parameters. Do not edit.
pragma solidity 0.8.28;
";

const MODULUS: &str = "    uint256 private constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
";

/// The Solidity source of the Poseidon contract of `width` (`width − 1` inputs) and of the
/// parts it calls, if any.
pub fn contract(width: usize) -> String {
    let inputs = width - 1;
    let hasher = OptimizedPoseidon::new(parameters(inputs));
    let parts = parts(steps(&hasher), width);
    let count = parts.len();
    let mut emitter = Emitter {
        body: String::new(),
        words: std::iter::once(Word::Known(Fr::zero()))
            .chain((1..width).map(|_| Word::Below(1)))
            .collect(),
    };
    let state: Vec<String> = (0..width).map(|i| format!("s{i}")).collect();
    let mut sources = Vec::with_capacity(count);
    for (index, part) in parts.iter().enumerate() {
        emitter.body.clear();
        let words = emitter.words.clone();
        for step in part {
            emitter.step(step, &hasher.mds);
        }
        let calls_next = index + 1 < count;
        if calls_next {
            emitter.line(0, "let m := mload(0x40)");
            emitter.line(0, "mstore(m, selector)");
            for (i, s) in state.iter().enumerate() {
                emitter.line(0, &format!("mstore(add(m, {}), {s})", 4 + 32 * i));
            }
            emitter.line(
                0,
                &format!(
                    "let ok := staticcall(gas(), next, m, {}, 0, 32)",
                    4 + 32 * width
                ),
            );
            emitter.line(
                0,
                "if iszero(and(ok, eq(returndatasize(), 32))) { revert(0, 0) }",
            );
            emitter.line(0, "result := mload(0)");
        }
        let mut prologue = String::new();
        writeln!(prologue, "{INDENT}let p := P").unwrap();
        if index == 0 {
            writeln!(prologue, "{INDENT}let s0").unwrap();
            for i in 1..width {
                writeln!(prologue, "{INDENT}let s{i} := {}", word("inputs", i - 1)).unwrap();
            }
            let checks = (1..width)
                .map(|i| format!("lt(s{i}, p)"))
                .reduce(|a, b| format!("and({a}, {b})"))
                .expect("an input");
            writeln!(
                prologue,
                "{INDENT}if iszero({checks}) {{\n{INDENT}    mstore(0, notInField)\n{INDENT}    revert(0, 4)\n{INDENT}}}"
            )
            .unwrap();
        } else {
            for (i, s) in state.iter().enumerate() {
                writeln!(prologue, "{INDENT}let {s} := {}", word("state", i)).unwrap();
            }
        }
        sources.push(part_source(
            width,
            index,
            count,
            &words,
            &prologue,
            &emitter.body,
        ));
    }
    // Later parts first, so each contract follows the one it calls.
    sources.reverse();
    format!("{HEADER}{}", sources.join(""))
}

/// The calldata word `i` of the static array parameter `array`.
fn word(array: &str, i: usize) -> String {
    if i == 0 {
        format!("calldataload({array})")
    } else {
        format!("calldataload(add({array}, {}))", 32 * i)
    }
}

fn bounds_note(words: &[Word]) -> String {
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match w {
            Word::Below(bound) => format!("s{i} < {bound}·r"),
            Word::Known(_) => format!("s{i} known"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn part_source(
    width: usize,
    index: usize,
    count: usize,
    words: &[Word],
    prologue: &str,
    body: &str,
) -> String {
    let inputs = width - 1;
    let calls_next = index + 1 < count;
    let mutability = if calls_next { "view" } else { "pure" };
    let next = part_name(width, index + 1);
    let (next_field, constructor, locals) = if calls_next {
        (
            "    /// @notice The contract that runs the rest of the rounds.\n    \
             address public immutable NEXT;\n\n"
                .to_string(),
            format!(
                "    /// @notice The part of the chain this one calls has no code.\n    \
                 error NoNextPart();\n\n    \
                 /// @param next The deployed `{next}`.\n    \
                 constructor(address next) {{\n        \
                 if (next.code.length == 0) revert NoNextPart();\n        \
                 NEXT = next;\n    }}\n\n"
            ),
            format!(
                "        address next = NEXT;\n        bytes4 selector = {next}.rounds.selector;\n"
            ),
        )
    } else {
        (String::new(), String::new(), String::new())
    };
    if index == 0 {
        format!(
            r#"
/// @title circomlib Poseidon of {inputs} field elements
/// @notice The hash Verity's circuit and node compute, for the Rollup contract.
contract {name} {{
    /// @notice An input is not below the field modulus.
    error InputNotInField();

{MODULUS}
{next_field}{constructor}    /// @notice circomlib's `Poseidon({inputs})` of `inputs`.
    /// @param inputs Field elements, each below the modulus.
    /// @return result The hash.
    function hash(uint256[{inputs}] calldata inputs) external {mutability} returns (uint256 result) {{
        bytes4 notInField = InputNotInField.selector;
{locals}        assembly ("memory-safe") {{
{prologue}{body}        }}
    }}
}}
"#,
            name = contract_name(width),
        )
    } else {
        format!(
            r#"
/// @title Rounds of circomlib's Poseidon of {inputs} field elements: part {index} of {count} after `{first}`
/// @notice Called by `{caller}` only for the code size limit: it computes a pure function.
contract {name} {{
{MODULUS}
{next_field}{constructor}    /// @notice Runs this part's rounds of the permutation on `state` and the parts after it.
    /// @param state The state words, unreduced ({bounds}).
    /// @return result The hash.
    function rounds(uint256[{width}] calldata state) external {mutability} returns (uint256 result) {{
{locals}        assembly ("memory-safe") {{
{prologue}{body}        }}
    }}
}}
"#,
            name = part_name(width, index),
            count = count - 1,
            first = contract_name(width),
            caller = if index == 1 {
                contract_name(width)
            } else {
                part_name(width, index - 1)
            },
            bounds = bounds_note(words),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed contracts are what the generator writes.
    #[test]
    fn committed_contracts_are_generated() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier-contracts/src");
        for width in CONTRACT_WIDTHS {
            let path = dir.join(format!("{}.sol", contract_name(width)));
            let generated = contract(width);
            if std::env::var_os("VERITY_WRITE_CONTRACTS").is_some() {
                std::fs::write(&path, &generated).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == generated,
                "{} is stale: run VERITY_WRITE_CONTRACTS=1 cargo test -p verity-circuits committed_contracts",
                path.display()
            );
        }
    }
}
