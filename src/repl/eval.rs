//! Expressions typed at the prompt: evaluated on data alone, or per
//! posterior draw, and `:prob` of conditions.
//!
//! An expression is appended to a copy of the model as a quantity of a
//! reserved-looking name — `let` first (its value is computed once when it
//! depends on data only), else `gen` — then checked and compiled with the
//! same data. The copy has the fitted model's parameters, so the fit's own
//! unconstrained draws give the quantity at every draw through the ordinary
//! output path (`gen` random numbers included).

use super::session::{Fail, Io, Res, Session, relocate};
use vippl::data::DataInput;
use vippl::infer::Target;
use vippl::output::{self, Draws, format_sig};
use vippl::workflow::{self, compile_text};

/// The name of the appended quantity. It starts with underscores so that it
/// does not meet a user's name, and does not end with `__` (reserved for
/// output columns such as `lp__`, which the checker refuses).
pub(crate) const QUANTITY: &str = "__repl_q";

/// The value of an expression.
pub(crate) enum Value {
    /// Computed from data alone: its shape and elements (row-major).
    Constant { dims: Vec<usize>, values: Vec<f64> },
    /// One value per draw and element: labels of the elements, draws
    /// row-major (`n × names.len()`).
    Draws {
        names: Vec<String>,
        n: usize,
        values: Vec<f64>,
    },
}

/// The expression as a label: whitespace collapsed, parenthesised before an
/// index when it is not a plain name.
fn labels(expr: &str, names: &[String]) -> Vec<String> {
    let text = expr.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']' | ','));
    names
        .iter()
        .map(|n| match n.strip_prefix(QUANTITY) {
            Some("") | None => text.clone(),
            Some(index) if plain => format!("{text}{index}"),
            Some(index) => format!("({text}){index}"),
        })
        .collect()
}

impl Session {
    /// The model text and data expressions are evaluated with, and a note
    /// when they are not those the current fit was made from.
    fn eval_base(&mut self) -> Result<(String, DataInput, Option<String>), Fail> {
        let Some(fit) = &self.fit else {
            return Ok((self.model.text_nl(), self.data.clone(), None));
        };
        if fit.source.text == self.model.text && fit.source.data == self.data {
            return Ok((self.model.text_nl(), self.data.clone(), None));
        }
        let compiled = self.compile_current().is_ok();
        let fit = self.fit.as_ref().ok_or("no fit")?;
        if compiled {
            if let Some(cm) = self.current_compiled() {
                if cm.layout() == fit.model.layout() {
                    // Same parameters: new `let`s and `gen`s work on the fit's
                    // draws. Whether the posterior itself changed shows in the
                    // log density at a few draws.
                    let d = cm.dim();
                    let points = &fit.output.points;
                    let n = points.len() / d.max(1);
                    let (mut w1, mut w2) = (cm.workspace(), fit.model.workspace());
                    let same = (0..n.min(3)).all(|i| {
                        let x = &points[i * d..(i + 1) * d];
                        let a = cm.log_density(&mut w1, x);
                        let b = fit.model.log_density(&mut w2, x);
                        a == b || (a - b).abs() <= 1e-9 * (1.0 + a.abs())
                    });
                    let note = (!same).then(|| {
                        format!(
                            "the model or data changed since fit {}: these are still its draws (`:fit` to refit)",
                            fit.number
                        )
                    });
                    return Ok((self.model.text_nl(), self.data.clone(), note));
                }
            }
        }
        let mut text = fit.source.text.clone();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok((
            text,
            fit.source.data.clone(),
            Some(format!(
                "the current model does not compile or has other parameters than fit {}: evaluating with the fitted model",
                fit.number
            )),
        ))
    }

    /// Evaluates an expression on data alone or over the current fit's draws.
    pub(crate) fn evaluate(&mut self, expr: &str, io: &mut Io<'_>) -> Result<Value, Fail> {
        let expr = expr.trim();
        if expr.is_empty() {
            return Err("no expression given".into());
        }
        let (base, data, note) = self.eval_base()?;
        if let Some(n) = note {
            io.note(&n);
        }
        let name = self.model.source_name();
        let attempt = |kw: &str| {
            let prefix = format!("{kw} {QUANTITY} = (\n");
            let text = format!("{base}{prefix}{expr}\n)\n");
            let start = base.len() + prefix.len();
            (compile_text(&name, &text, &data), start..start + expr.len())
        };
        let (as_let, region) = attempt("let");
        let let_error = match as_let {
            Ok(compiled) => {
                if let Some((dims, values)) = compiled.model.constant_value(QUANTITY) {
                    return Ok(Value::Constant { dims, values });
                }
                if self.fit.is_none() {
                    return Err(format!(
                        "`{expr}` depends on parameters: fit the model first (`:fit`), then it is evaluated per draw"
                    )
                    .into());
                }
                None
            }
            Err(r) => Some(self.render_relocated(&r.sources, &r.diagnostics, region.clone(), expr)),
        };
        if self.fit.is_none() {
            let missing = self.missing_data();
            if !missing.is_empty() {
                return Err(format!(
                    "`{expr}` cannot be evaluated before the model has its data: {} needed (`:data FILE`)",
                    missing.join(", ")
                )
                .into());
            }
        }
        let Some(fit) = &self.fit else {
            return Err(Fail::Shown(let_error.unwrap_or_default()));
        };
        let (as_gen, region) = attempt("gen");
        let cm = match as_gen {
            Ok(compiled) => compiled.model,
            Err(r) => {
                let shown = self.render_relocated(&r.sources, &r.diagnostics, region, expr);
                return Err(Fail::Shown(shown));
            }
        };
        if cm.layout() != fit.model.layout() {
            return Err("the model's parameters differ from the fit's: `:fit` again".into());
        }
        let draws = workflow::draws_at(&cm, &fit.approximation, &fit.output.points, fit.seed)
            .map_err(|m| Fail::Msg(format!("`{expr}` cannot be evaluated: {m}")))?;
        let cols: Vec<usize> = (0..draws.names.len())
            .filter(|&j| {
                let n = &draws.names[j];
                n == QUANTITY || n.starts_with(&format!("{QUANTITY}["))
            })
            .collect();
        let names: Vec<String> = cols.iter().map(|&j| draws.names[j].clone()).collect();
        let mut values = Vec::with_capacity(draws.n_draws * cols.len());
        for i in 0..draws.n_draws {
            let row = draws.row(i);
            values.extend(cols.iter().map(|&j| row[j]));
        }
        Ok(Value::Draws {
            names: labels(expr, &names),
            n: draws.n_draws,
            values,
        })
    }

    fn render_relocated(
        &self,
        sm: &vippl::source::SourceMap,
        d: &[vippl::diagnostics::Diagnostic],
        region: std::ops::Range<usize>,
        expr: &str,
    ) -> String {
        let errors: Vec<_> = d.iter().filter(|x| x.is_error()).cloned().collect();
        let (sm, d) = relocate(sm, &errors, region, expr);
        self.render(&d, &sm)
    }

    pub(crate) fn cmd_expression(&mut self, expr: &str, io: &mut Io<'_>) -> Res {
        match self.evaluate(expr, io)? {
            Value::Constant { dims, values } => io.out(&constant_text(&dims, &values)),
            Value::Draws { names, n, values } => {
                let d = Draws::new(names, n, values, vec![0.0; n], vec![0.0; n])?;
                io.out(&output::render_parameters(&d.summarize(), self.opts.color));
            }
        }
        Ok(())
    }

    pub(crate) fn cmd_prob(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        if args.trim().is_empty() {
            return Err("`:prob` needs a condition, e.g. `:prob theta[1] > theta[3]`".into());
        }
        let text = args.split_whitespace().collect::<Vec<_>>().join(" ");
        let not_condition = |x: f64| {
            Fail::Msg(format!(
                "`{text}` is not a condition: it takes the value {} (a condition gives 0 or 1, e.g. `tau > 5`)",
                format_sig(x, 4)
            ))
        };
        match self.evaluate(args, io)? {
            Value::Constant { values, .. } => {
                if let Some(&x) = values.iter().find(|&&x| x != 0.0 && x != 1.0) {
                    return Err(not_condition(x));
                }
                let mut s = String::new();
                for (i, x) in values.iter().enumerate() {
                    let l = if values.len() == 1 {
                        text.clone()
                    } else {
                        format!("({text})[{}]", i + 1)
                    };
                    s.push_str(&format!("P({l}) = {x} (it depends on data only)\n"));
                }
                io.out(&s);
            }
            Value::Draws { names, n, values } => {
                let k = names.len();
                if let Some(&x) = values.iter().find(|&&x| x != 0.0 && x != 1.0) {
                    return Err(not_condition(x));
                }
                let mut s = String::new();
                for (j, label) in names.iter().enumerate() {
                    let hits = (0..n).filter(|&i| values[i * k + j] == 1.0).count();
                    s.push_str(&format!("P({label}) = {}\n", probability_text(hits, n)));
                }
                if self.fit.as_ref().is_some_and(|f| f.output.psis) {
                    s.push_str("(the draws are PSIS-resampled, not independent: the standard error is optimistic)\n");
                }
                io.out(&s);
            }
        }
        Ok(())
    }
}

/// `p ± se` with as many decimals as the standard error supports.
pub(crate) fn probability_text(hits: usize, n: usize) -> String {
    if n == 0 {
        return "undefined (no draws)".into();
    }
    let p = hits as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    if hits == 0 || hits == n {
        // The rule of three: with no success in n draws, p < 3/n at 95%.
        let bound = format_sig(3.0 / n as f64, 2);
        return if hits == 0 {
            format!("0 (no draw of {n} satisfies it: p < {bound} at 95% confidence)")
        } else {
            format!("1 (every draw of {n} satisfies it: p > 1 - {bound} at 95% confidence)")
        };
    }
    let decimals = (1 - se.log10().floor() as i32).clamp(2, 8) as usize;
    format!(
        "{p:.decimals$} ± {} (Monte Carlo standard error, {n} draws)",
        format_sig(se, 2)
    )
}

/// A number as a person writes it: integers without a decimal point,
/// others with six significant digits and no trailing zeros.
pub(crate) fn number_text(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format_sig(x, 6);
        if s.contains('.') && !s.contains(['e', 'E']) {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// A value computed from data: a number, a vector in brackets, one
/// bracketed row per line, or (a 3-d array) its matrices in turn.
pub(crate) fn constant_text(dims: &[usize], values: &[f64]) -> String {
    let num = number_text;
    let row = |v: &[f64]| {
        format!(
            "[{}]",
            v.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", ")
        )
    };
    match dims {
        [] => format!("{}\n", values.first().map_or(String::new(), |&x| num(x))),
        [_] => format!("{}\n", row(values)),
        [_, c] if *c > 0 => {
            let mut s = String::new();
            for r in values.chunks(*c) {
                s.push_str(&row(r));
                s.push('\n');
            }
            s
        }
        // A 3-d array: its matrices one after another, a blank line between.
        [_, k, l] if *k > 0 && *l > 0 => values
            .chunks(k * l)
            .map(|m| constant_text(&[*k, *l], m))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => format!("{}\n", row(values)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_texts() {
        assert_eq!(
            probability_text(613, 1000),
            "0.613 ± 0.015 (Monte Carlo standard error, 1000 draws)"
        );
        assert!(probability_text(0, 1000).starts_with("0 (no draw of 1000"));
        assert!(probability_text(1000, 1000).starts_with("1 (every draw"));
    }

    #[test]
    fn constants() {
        assert_eq!(constant_text(&[], &[8.0]), "8\n");
        assert_eq!(constant_text(&[2], &[1.5, 2.0]), "[1.5, 2]\n");
        assert_eq!(
            constant_text(&[2, 2], &[1.0, 2.0, 3.0, 4.0]),
            "[1, 2]\n[3, 4]\n"
        );
        let three: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(
            constant_text(&[2, 2, 2], &three),
            "[1, 2]\n[3, 4]\n\n[5, 6]\n[7, 8]\n"
        );
    }

    #[test]
    fn expression_labels() {
        let n = vec![QUANTITY.to_string()];
        assert_eq!(labels("theta[1]  >  mu", &n), vec!["theta[1] > mu"]);
        let n = vec![format!("{QUANTITY}[2]")];
        assert_eq!(labels("theta", &n), vec!["theta[2]"]);
        assert_eq!(labels("theta - mu", &n), vec!["(theta - mu)[2]"]);
    }
}
