//! The rows of a minibatch: drawing them, and writing them into the B-row
//! program's data buffers in place.

use crate::check::minibatch::RowPlan;
use crate::data::{DataEntry, DataInput, RawValue};
use crate::density::program::Program;
use crate::density::value::{Buf, ConstRef, Value};
use crate::ir::DataId;
use rand::RngExt;

/// Draws B distinct rows of N uniformly (Floyd's algorithm, O(B) work on
/// a bitmap that is cleared again), sorted so that reading them walks the
/// data forward.
pub struct RowPicker {
    rows: usize,
    size: usize,
    taken: Vec<u64>,
    picked: Vec<usize>,
}

impl RowPicker {
    pub fn new(rows: usize, size: usize) -> RowPicker {
        RowPicker {
            rows,
            size,
            taken: vec![0; rows.div_ceil(64)],
            picked: Vec::with_capacity(size),
        }
    }

    pub fn picked(&self) -> &[usize] {
        &self.picked
    }

    /// Uses the given rows as the minibatch (for checks that enumerate).
    pub fn set(&mut self, rows: &[usize]) {
        assert_eq!(rows.len(), self.size, "a minibatch has B rows");
        assert!(rows.iter().all(|&r| r < self.rows), "rows are below N");
        self.picked.clear();
        self.picked.extend_from_slice(rows);
    }

    pub fn draw(&mut self, rng: &mut crate::random::VRng) {
        self.picked.clear();
        for j in self.rows - self.size..self.rows {
            let t = rng.random_range(0..=j);
            let pick = if self.is_taken(t) { j } else { t };
            self.taken[pick / 64] |= 1 << (pick % 64);
            self.picked.push(pick);
        }
        for &p in &self.picked {
            self.taken[p / 64] &= !(1 << (p % 64));
        }
        self.picked.sort_unstable();
    }

    fn is_taken(&self, r: usize) -> bool {
        self.taken[r / 64] >> (r % 64) & 1 == 1
    }
}

/// Where one subsampled array lives in the full and the B-row programs.
pub struct RowArray {
    full: ConstRef,
    batch: ConstRef,
    /// Elements per row.
    width: usize,
    /// Stored as ints (with their real mirror).
    ints: bool,
}

/// The constant range behind a bound data value, and whether it holds ints.
fn storage(v: Value) -> Option<(ConstRef, bool)> {
    match v {
        Value::IntArr(r) => Some((r, true)),
        Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
            Some((r, matches!(r.buf, Buf::IntMatrix | Buf::IntMirror)))
        }
        _ => None,
    }
}

impl RowArray {
    pub fn new(full: &Program, batch: &Program, id: DataId, rows: usize, size: usize) -> RowArray {
        let (f, ints) = storage(full.data_vals[id.index()]).expect("a subsampled array");
        let (b, _) = storage(batch.data_vals[id.index()]).expect("a subsampled array");
        let width = (f.len as usize).checked_div(rows).unwrap_or(0);
        debug_assert_eq!(b.len as usize, width * size);
        RowArray {
            full: f,
            batch: b,
            width,
            ints,
        }
    }

    /// Copies the picked rows of the full data into the B-row program.
    pub fn write(&self, full: &Program, batch: &mut Program, picked: &[usize]) {
        let w = self.width;
        let (src_off, dst_off) = (self.full.off as usize, self.batch.off as usize);
        for (k, &r) in picked.iter().enumerate() {
            let src = src_off + r * w..src_off + (r + 1) * w;
            let dst = dst_off + k * w..dst_off + (k + 1) * w;
            if self.ints {
                batch.ints[dst.clone()].copy_from_slice(&full.ints[src.clone()]);
                batch.int_mirror[dst].copy_from_slice(&full.int_mirror[src]);
            } else {
                batch.reals[dst].copy_from_slice(&full.reals[src]);
            }
        }
    }
}

/// The bound data of `prog` as data input, with the row count set to
/// `size` and every subsampled array cut to its first `size` rows.
pub fn first_rows(prog: &Program, plan: &RowPlan, size: usize) -> DataInput {
    let mut input = DataInput::default();
    for (k, decl) in prog.model.data.iter().enumerate() {
        let v = prog.data_vals[k];
        let subsampled = plan.arrays.iter().any(|a| a.index() == k);
        let mut raw = match v {
            Value::Int(i) => RawValue::scalar(i as f64),
            Value::Real(x) => RawValue::scalar(x),
            _ => {
                let Some((r, ints)) = storage(v) else {
                    continue;
                };
                let values = if ints {
                    prog.int_mirror[r.range()].to_vec()
                } else {
                    prog.reals[r.range()].to_vec()
                };
                RawValue {
                    dims: dims_of(v),
                    values,
                }
            }
        };
        if k == plan.count.index() {
            raw = RawValue::scalar(size as f64);
        } else if subsampled && !raw.dims.is_empty() {
            let rows = raw.dims[0].max(1);
            let width = raw.values.len() / rows;
            raw.dims[0] = size;
            raw.values.truncate(size * width);
        }
        input.entries.push(DataEntry {
            name: decl.name.clone(),
            value: raw,
            origin: "a minibatch".to_string(),
            table: false,
        });
    }
    input
}

fn dims_of(v: Value) -> Vec<usize> {
    match v {
        Value::IntArr(r) | Value::Vec(r) => vec![r.len as usize],
        Value::Mat(_, r, c) => vec![r as usize, c as usize],
        Value::Arr3(_, d) => d.iter().map(|&x| x as usize).collect(),
        _ => vec![],
    }
}
