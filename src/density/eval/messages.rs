//! `print` and `reject`: their items (strings and values) as one line.

use super::Evaluator;
use super::workspace::EvalResult;
use crate::density::print::{self, Admission};
use crate::density::value::Dims;
use crate::ir::PrintItem;
use crate::scalar::Scalar;
use std::fmt::Write;

impl<T: Scalar> Evaluator<'_, T> {
    /// `print(...)`: one line on standard error, if the rate limit lets it
    /// through (the values are not even computed otherwise).
    pub(super) fn print(&mut self, items: &[PrintItem]) -> EvalResult<()> {
        if let Admission::Write { left_out } = print::admit() {
            let line = self.message(items)?;
            print::write_line(&line, left_out);
        }
        Ok(())
    }

    /// The items written one after the other: strings as they are, values
    /// as numbers, vectors as `[1, 2]`, matrices as `[[1, 2], [3, 4]]`.
    pub(super) fn message(&mut self, items: &[PrintItem]) -> EvalResult<String> {
        let mut out = String::new();
        for item in items {
            match item {
                PrintItem::Text(t) => out.push_str(t),
                PrintItem::Value(e) => {
                    let v = self.expr(e)?;
                    let element = |k: usize| self.element_f64(v, k);
                    match v.dims() {
                        Dims::Scalar => write_number(&mut out, element(0)),
                        Dims::Vector(n) => write_row(&mut out, (0..n).map(element)),
                        Dims::Matrix(r, c) => write_matrix(&mut out, r, c, element),
                        Dims::Array3(j, r, c) => {
                            out.push('[');
                            for m in 0..j {
                                if m > 0 {
                                    out.push_str(", ");
                                }
                                write_matrix(&mut out, r, c, |k| element(m * r * c + k));
                            }
                            out.push(']');
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

fn write_matrix(out: &mut String, r: usize, c: usize, element: impl Fn(usize) -> f64) {
    out.push('[');
    for i in 0..r {
        if i > 0 {
            out.push_str(", ");
        }
        write_row(out, (0..c).map(|j| element(i * c + j)));
    }
    out.push(']');
}

fn write_number(out: &mut String, x: f64) {
    let _ = write!(out, "{x}");
}

fn write_row(out: &mut String, values: impl Iterator<Item = f64>) {
    out.push('[');
    for (k, x) in values.enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        write_number(out, x);
    }
    out.push(']');
}
