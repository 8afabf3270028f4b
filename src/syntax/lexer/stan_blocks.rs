//! Stan's program blocks: `data { ... }`, `parameters { ... }`,
//! `model { ... }` and the others.
//!
//! vippl has no blocks; a model written the Stan way would otherwise get one
//! confusing syntax error for the whole block. The scan reports each header
//! once with the vippl spelling of what the block holds, and cuts the
//! statements inside as top-level statements, so that each of them is
//! parsed (and explained, see `syntax::stan`) on its own.

use super::{LastToken, Scanner};
use crate::diagnostics::Diagnostic;

/// A Stan program block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StanBlock {
    Functions,
    Data,
    TransformedData,
    Parameters,
    TransformedParameters,
    Model,
    GeneratedQuantities,
}

impl StanBlock {
    /// The block's header as Stan writes it.
    pub fn header(self) -> &'static str {
        match self {
            StanBlock::Functions => "functions",
            StanBlock::Data => "data",
            StanBlock::TransformedData => "transformed data",
            StanBlock::Parameters => "parameters",
            StanBlock::TransformedParameters => "transformed parameters",
            StanBlock::Model => "model",
            StanBlock::GeneratedQuantities => "generated quantities",
        }
    }

    /// How vippl writes what the block holds.
    fn help(self) -> &'static str {
        match self {
            StanBlock::Functions => {
                "define each function at the top level: `fn square_plus(x: real) -> real = x * x + 1`"
            }
            StanBlock::Data => {
                "declare each data item on its own line, name first: `data N: int<lower=0>`, `data y: real[N]`"
            }
            StanBlock::TransformedData => {
                "compute it at the top level with `let` or `var`: what depends only on data is computed once, when data is bound"
            }
            StanBlock::Parameters => {
                "declare each parameter on its own line, name first: `param sigma: real<lower=0>`, `param beta: real[K]`"
            }
            StanBlock::TransformedParameters => {
                "compute it at the top level with `let theta = ...` (a top-level `let` that depends on parameters is reported like a parameter)"
            }
            StanBlock::Model => "write the statements at the top level, without `model { }`",
            StanBlock::GeneratedQuantities => {
                "declare each quantity at the top level with `gen`: `gen y_rep = normal_rng(mu, sigma)`"
            }
        }
    }
}

/// The word starting at `i`, and where it ends.
fn word_at(src: &[u8], i: usize) -> (&[u8], usize) {
    let mut j = i;
    while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'_') {
        j += 1;
    }
    (&src[i..j], j)
}

/// Skips blanks (and, with `newlines`, line ends) from `i`.
fn skip_blanks(src: &[u8], mut i: usize, newlines: bool) -> usize {
    while i < src.len() && (matches!(src[i], b' ' | b'\t' | b'\r') || newlines && src[i] == b'\n') {
        i += 1;
    }
    i
}

impl Scanner<'_> {
    /// Whether the next token starts a statement at the top level.
    pub(super) fn at_statement_start(&self) -> bool {
        self.stack.is_empty()
            && self.stan_block.is_none()
            && (self.chunk_start.is_none() || self.pending_end.is_some())
    }

    /// A Stan block header starting at `start` (`model {`): reports it,
    /// enters the block, and returns where its body starts.
    pub(super) fn stan_block_start(&mut self, start: usize) -> Option<usize> {
        let src = self.src;
        let (first, end) = word_at(src, start);
        let second = |want: &[u8]| {
            let i = skip_blanks(src, end, false);
            let (w, e) = word_at(src, i);
            (w == want).then_some(e)
        };
        let (block, end) = match first {
            b"functions" => (StanBlock::Functions, end),
            b"data" => (StanBlock::Data, end),
            b"parameters" => (StanBlock::Parameters, end),
            b"model" => (StanBlock::Model, end),
            b"transformed" => match (second(b"data"), second(b"parameters")) {
                (Some(e), _) => (StanBlock::TransformedData, e),
                (_, Some(e)) => (StanBlock::TransformedParameters, e),
                _ => return None,
            },
            b"generated" => (StanBlock::GeneratedQuantities, second(b"quantities")?),
            _ => return None,
        };
        let brace = skip_blanks(src, end, true);
        if src.get(brace) != Some(&b'{') {
            return None;
        }
        self.flush_statement();
        self.diagnostics.push(
            Diagnostic::error(
                "stan-block",
                format!(
                    "`{} {{ ... }}` is a Stan block: vippl has no blocks",
                    block.header()
                ),
            )
            .with_label(self.span(start, brace + 1), "a Stan program block")
            .with_help(block.help()),
        );
        self.stan_block = Some((block, brace + 1));
        self.last = LastToken::None;
        Some(brace + 1)
    }

    /// The `}` closing a Stan block at `i`.
    pub(super) fn stan_block_end(&mut self, i: usize) -> usize {
        self.end_statement(i);
        self.flush_statement();
        if let Some((block, body)) = self.stan_block.take() {
            self.stan_blocks.push((body..i, block));
        }
        self.last = LastToken::None;
        i + 1
    }

    /// Ends the statement waiting for a possible `else`.
    fn flush_statement(&mut self) {
        if let Some(end) = self.pending_end.take() {
            if let Some(start) = self.chunk_start.take() {
                self.chunks.push(start..end);
            }
        }
    }

    /// At the end of the text: a Stan block that was never closed.
    pub(super) fn unclosed_stan_block(&mut self) {
        let Some((block, body)) = self.stan_block.take() else {
            return;
        };
        self.stan_blocks.push((body..self.src.len(), block));
        let brace = body - 1;
        self.diagnostics.push(
            Diagnostic::error("unclosed-bracket", "unclosed `{`")
                .with_label(
                    self.span(brace, brace + 1),
                    format!("the `{}` block's `{{` is never closed", block.header()),
                )
                .with_help("add the matching `}`"),
        );
    }
}
