//! The determinism check: which witness variables can move while every constraint stays
//! satisfied and the public input stays fixed.
//!
//! At a satisfying assignment `z`, a direction `dz` (zero on the public input) keeps the
//! R1CS satisfied to first order when `(A·z)(B·dz) + (A·dz)(B·z) − C·dz = 0` row by row: the
//! kernel of the system linearised at `z`, computed here exactly over the field. A variable
//! that is zero in every kernel vector is locally determined by the public input; any other
//! can move. A free split of a packed word (audit C-1) is such a direction, exactly, whatever
//! the hash it feeds. Linearising has one blind spot the callers must keep in mind: a hash
//! with more free inputs than outputs has kernel directions of its own (moving along them
//! needs a collision), so the gadget tests bind such inputs publicly.
//!
//! The kernel is found in two passes: rows with one undetermined variable determine it
//! (booleans, bit sums, most of a hash), repeated to a fixpoint; the rows left are brought to
//! reduced row echelon form, where a variable is determined exactly when its pivot row holds
//! nothing else.

use std::collections::{BTreeMap, HashMap};

use ark_ff::{Field, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, Variable, R1CS_PREDICATE_LABEL};

use crate::Fr;

/// A witness variable that can move, with the rules (constraint spans) of the first
/// constraint it appears in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Freedom {
    /// Its column (instance variables first).
    pub variable: usize,
    /// Span names of its first constraint, outermost first, joined by `/` (empty without a
    /// `ConstraintLayer` subscriber during synthesis).
    pub rules: String,
}

/// One Poseidon call of the circuit, as [`crate::poseidon::constraints::record_hashes`]
/// logs it.
#[derive(Clone, Debug)]
pub(crate) struct HashCall {
    /// The inputs.
    pub inputs: Vec<FpVar<Fr>>,
    /// The output.
    pub output: FpVar<Fr>,
}

type Row = BTreeMap<usize, Fr>;

/// The witness variables of a satisfied, synthesised `cs` that can move with the public
/// input fixed, taking each hash in `hashes` as collision resistant: once its output cannot
/// move, neither can its inputs (the linearisation alone would let a many-to-one hash's
/// inputs move along its Jacobian's kernel). Finalises `cs`.
pub(crate) fn free_variables(cs: &ConstraintSystemRef<Fr>, hashes: &[HashCall]) -> Vec<Freedom> {
    assert!(
        cs.is_satisfied().unwrap(),
        "the check needs a satisfying witness"
    );
    let instance = cs.num_instance_variables();
    let mut expander = Expander {
        cs,
        instance,
        memo: HashMap::new(),
    };
    let mut pending: Vec<(Row, Vec<Row>)> = hashes
        .iter()
        .map(|call| {
            (
                expander.row(&call.output),
                call.inputs
                    .iter()
                    .map(|input| expander.row(input))
                    .collect(),
            )
        })
        .collect();
    cs.finalize();
    let matrices = cs.to_matrices().unwrap();
    let [a, b, c] = &matrices[R1CS_PREDICATE_LABEL][..] else {
        panic!("an R1CS has three matrices")
    };
    let mut z = cs.instance_assignment().unwrap();
    z.extend(cs.witness_assignment().unwrap());
    let dot = |row: &[(Fr, usize)]| row.iter().map(|(k, j)| *k * z[*j]).sum::<Fr>();

    let mut rows: Vec<Row> = (0..a.len())
        .map(|i| {
            let (av, bv) = (dot(&a[i]), dot(&b[i]));
            let terms = a[i].iter().map(|(k, j)| (*k * bv, *j));
            let terms = terms.chain(b[i].iter().map(|(k, j)| (*k * av, *j)));
            collect_row(terms.chain(c[i].iter().map(|(k, j)| (-*k, *j))), instance)
        })
        .collect();
    let constraints = rows.len();

    let moving = loop {
        let determined = propagate(&rows, z.len(), instance);
        let pivots = eliminate(&rows, &determined);
        let fixed = |row: &Row| reduce(row, &determined, &pivots).is_empty();
        let (now, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(out, _)| fixed(out));
        pending = later;
        if now.is_empty() {
            break moving_columns(&determined, &pivots);
        }
        rows.extend(now.into_iter().flat_map(|(_, inputs)| inputs));
    };

    let traces = cs.borrow().unwrap().predicate_traces[R1CS_PREDICATE_LABEL].clone();
    // Named by the first constraint that mentions it (its linearised coefficients may all be
    // zero: an inverse hint multiplied by zero, say).
    let mut first_row = HashMap::new();
    for i in 0..constraints {
        for (_, j) in a[i].iter().chain(&b[i]).chain(&c[i]) {
            first_row.entry(*j).or_insert(i);
        }
    }
    (instance..z.len())
        .filter(|j| moving[*j])
        .map(|variable| Freedom {
            variable,
            rules: first_row
                .get(&variable)
                .and_then(|i| traces.get(*i).cloned().flatten())
                .map_or_else(String::new, |trace| span_names(&trace.to_string())),
        })
        .collect()
}

/// A row over the witness columns (public columns are fixed).
fn collect_row(terms: impl Iterator<Item = (Fr, usize)>, instance: usize) -> Row {
    let mut row = Row::new();
    for (k, j) in terms {
        if j >= instance {
            *row.entry(j).or_insert_with(Fr::zero) += k;
        }
    }
    row.retain(|_, k| !k.is_zero());
    row
}

/// Expands symbolic linear combinations (before the constraint system inlines them) into
/// rows over the variables.
struct Expander<'a> {
    cs: &'a ConstraintSystemRef<Fr>,
    instance: usize,
    memo: HashMap<Variable, Row>,
}

impl Expander<'_> {
    fn row(&mut self, var: &FpVar<Fr>) -> Row {
        match var {
            FpVar::Constant(_) => Row::new(),
            FpVar::Var(allocated) => self.variable(allocated.variable),
        }
    }

    fn variable(&mut self, var: Variable) -> Row {
        if !var.is_lc() {
            let column = var
                .get_variable_index(self.instance)
                .expect("an indexed variable");
            return collect_row(std::iter::once((Fr::from(1u64), column)), self.instance);
        }
        if let Some(row) = self.memo.get(&var) {
            return row.clone();
        }
        let lc = self.cs.get_lc(var).expect("a symbolic linear combination");
        let mut row = Row::new();
        for (k, term) in lc.0 {
            if term.is_zero() {
                continue;
            }
            for (j, v) in self.variable(term) {
                *row.entry(j).or_insert_with(Fr::zero) += k * v;
            }
        }
        row.retain(|_, k| !k.is_zero());
        self.memo.insert(var, row.clone());
        row
    }
}

/// Marks the variables that rows with a single undetermined variable fix, to a fixpoint.
fn propagate(rows: &[Row], columns: usize, instance: usize) -> Vec<bool> {
    let mut determined = vec![false; columns];
    determined[..instance].fill(true);
    let mut rows_of = vec![Vec::new(); columns];
    let mut open: Vec<usize> = rows.iter().map(BTreeMap::len).collect();
    for (i, row) in rows.iter().enumerate() {
        for j in row.keys() {
            rows_of[*j].push(i);
        }
    }
    let mut queue: Vec<usize> = (0..rows.len()).filter(|i| open[*i] == 1).collect();
    while let Some(i) = queue.pop() {
        let Some(j) = rows[i].keys().copied().find(|j| !determined[*j]) else {
            continue;
        };
        determined[j] = true;
        for r in &rows_of[j] {
            open[*r] -= 1;
            if open[*r] == 1 {
                queue.push(*r);
            }
        }
    }
    determined
}

/// Brings the rows, restricted to the undetermined variables, to row echelon form: pivot
/// column → its row, whose lowest column is the pivot, with coefficient one.
fn eliminate(rows: &[Row], determined: &[bool]) -> HashMap<usize, Row> {
    let mut pivots: HashMap<usize, Row> = HashMap::new();
    for row in rows {
        if row.keys().filter(|j| !determined[**j]).nth(1).is_none() {
            continue;
        }
        let row = reduce(row, determined, &pivots);
        if let Some((&pivot, &lead)) = row.iter().next() {
            let inverse = lead.inverse().expect("a non-zero lead");
            pivots.insert(
                pivot,
                row.into_iter().map(|(j, k)| (j, k * inverse)).collect(),
            );
        }
    }
    pivots
}

/// `row` without its determined columns, reduced by the pivot rows: empty exactly when the
/// row's value is fixed on the whole kernel.
fn reduce(row: &Row, determined: &[bool], pivots: &HashMap<usize, Row>) -> Row {
    let mut row: Row = row
        .iter()
        .filter(|(j, _)| !determined[**j])
        .map(|(j, k)| (*j, *k))
        .collect();
    // A pivot row's columns lie above its pivot, so one sweep upwards clears every pivot.
    let mut from = 0;
    while let Some((j, k)) = row
        .range(from..)
        .find(|(j, _)| pivots.contains_key(j))
        .map(|(j, k)| (*j, *k))
    {
        for (col, value) in &pivots[&j] {
            *row.entry(*col).or_insert_with(Fr::zero) -= k * value;
        }
        row.retain(|_, k| !k.is_zero());
        from = j + 1;
    }
    row
}

/// Per column, whether it can move: undetermined, and its unit vector is not in the span of
/// the rows.
fn moving_columns(determined: &[bool], pivots: &HashMap<usize, Row>) -> Vec<bool> {
    (0..determined.len())
        .map(|j| {
            !determined[j]
                && !reduce(&Row::from([(j, Fr::from(1u64))]), determined, pivots).is_empty()
        })
        .collect()
}

/// The span names of a constraint trace, outermost first: `slot_rule/gadget/…`.
fn span_names(trace: &str) -> String {
    let mut names: Vec<&str> = trace
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(_, path)| path))
        .filter_map(|path| path.split_whitespace().next())
        .filter_map(|path| path.rsplit("::").next())
        .collect();
    names.reverse();
    names.join("/")
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::eq::EqGadget;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;

    #[test]
    fn a_free_split_moves_and_a_product_with_fixed_output_is_fixed_at_a_nonzero_point() {
        // x + 2y = public, with x and y bare: a one-dimensional kernel.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let public = FpVar::new_input(cs.clone(), || Ok(Fr::from(9u64))).unwrap();
        let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
        let y = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
        (&x + &y * Fr::from(2u64)).enforce_equal(&public).unwrap();
        // u·u = public and u + v = public: both fixed (u ≠ 0).
        let u = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
        let v = FpVar::new_witness(cs.clone(), || Ok(Fr::from(6u64))).unwrap();
        (&u * &u).enforce_equal(&public).unwrap();
        (&u + &v).enforce_equal(&public).unwrap();
        let free: Vec<usize> = free_variables(&cs, &[])
            .iter()
            .map(|f| f.variable)
            .collect();
        let instance = 2;
        assert_eq!(free, vec![instance, instance + 1]);
    }
}
