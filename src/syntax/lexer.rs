//! A cheap scan over the text before pest sees it.
//!
//! It decides which newlines end statements (the rule of the language is
//! lexical: a newline is a statement end unless it sits inside `(`, `[` or a
//! constraint `<...>`, or the line ends with a binary operator or a comma),
//! cuts the file into top-level statements so that each one is parsed on its
//! own (one syntax error per statement instead of one per file), and reports
//! the problems a scan finds best: unknown characters, numbers ending in
//! `.`, unterminated comments, unbalanced brackets and nesting so deep that
//! a recursive parser would exhaust the stack.
//!
//! Stan's program blocks (`data { ... }`, `model { ... }`) are recognised
//! here (see `stan_blocks`): the header is reported with the vippl
//! spelling, and the statements inside are cut as top-level statements so
//! that each one still gets its own message.

mod literals;
mod stan_blocks;

pub use stan_blocks::StanBlock;

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};

/// Deepest nesting of brackets and blocks accepted.
pub const MAX_NESTING: usize = 64;

/// What the scan produces.
pub struct Prepared {
    /// The text with non-terminating newlines replaced by `\x0B` (same
    /// length and byte offsets as the original).
    pub text: String,
    /// Byte ranges of the top-level statements to parse.
    pub chunks: Vec<std::ops::Range<usize>>,
    pub diagnostics: Vec<Diagnostic>,
    /// The bodies of Stan program blocks, with the block they belong to.
    pub stan_blocks: Vec<(std::ops::Range<usize>, StanBlock)>,
}

impl Prepared {
    /// The Stan block whose body holds the statement at `range`, if any.
    pub fn stan_block_at(&self, range: &std::ops::Range<usize>) -> Option<StanBlock> {
        self.stan_blocks
            .iter()
            .find(|(body, _)| body.start <= range.start && range.end <= body.end)
            .map(|(_, b)| *b)
    }
}

/// A bracket, brace or constraint angle that is open at the current position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Delimiter {
    Paren,
    Bracket,
    Brace,
    /// `<` of a constraint after `int` / `real`.
    Angle,
}

impl Delimiter {
    fn open_char(self) -> char {
        match self {
            Delimiter::Paren => '(',
            Delimiter::Bracket => '[',
            Delimiter::Brace => '{',
            Delimiter::Angle => '<',
        }
    }
    fn close_char(self) -> char {
        match self {
            Delimiter::Paren => ')',
            Delimiter::Bracket => ']',
            Delimiter::Brace => '}',
            Delimiter::Angle => '>',
        }
    }
}

/// The last token seen, as far as newline rules care.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum LastToken {
    None,
    /// An operator or a comma: the statement continues on the next line.
    Continues,
    /// `int` or `real`: a following `<` opens a constraint.
    ElemType,
    /// `:`: a following `vector`, `row_vector` or `matrix` is a type.
    Colon,
    Other,
}

/// Scans `text`; see [`Prepared`].
pub fn prepare(file: FileId, text: &str) -> Prepared {
    let mut s = Scanner {
        file,
        src: text.as_bytes(),
        out: text.as_bytes().to_vec(),
        stack: Vec::new(),
        last: LastToken::None,
        diagnostics: Vec::new(),
        chunks: Vec::new(),
        chunk_start: None,
        pending_end: None,
        error_at: Vec::new(),
        broken: false,
        too_deep_reported: false,
        after_else: false,
        else_if_chain: Vec::new(),
        stan_block: None,
        stan_blocks: Vec::new(),
    };
    s.run();
    let Scanner {
        out,
        mut chunks,
        error_at,
        diagnostics,
        stan_blocks,
        ..
    } = s;
    chunks.retain(|c| !error_at.iter().any(|&e| c.start <= e && e <= c.end));
    // Only ASCII bytes were replaced by ASCII bytes, so the text is still UTF-8.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Prepared {
        text,
        chunks,
        diagnostics,
        stan_blocks,
    }
}

struct Scanner<'a> {
    file: FileId,
    src: &'a [u8],
    out: Vec<u8>,
    stack: Vec<(Delimiter, usize)>,
    last: LastToken,
    diagnostics: Vec<Diagnostic>,
    chunks: Vec<std::ops::Range<usize>>,
    chunk_start: Option<usize>,
    /// A statement end at depth 0 waiting to see whether `else` follows.
    pending_end: Option<usize>,
    /// Offsets of problems: chunks containing one are not parsed.
    error_at: Vec<usize>,
    /// After a bracket mismatch, statement boundaries are unreliable.
    broken: bool,
    too_deep_reported: bool,
    /// The previous token was `else`.
    after_else: bool,
    /// Length of the `else if` chain being read, per nesting level: each
    /// `else if` nests one level deeper in the parser.
    else_if_chain: Vec<usize>,
    /// The Stan block being read and where its body starts.
    stan_block: Option<(StanBlock, usize)>,
    stan_blocks: Vec<(std::ops::Range<usize>, StanBlock)>,
}

impl Scanner<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&mut self, at: usize, d: Diagnostic) {
        self.error_at.push(at);
        self.diagnostics.push(d);
    }

    /// A token starts at `pos`: opens a chunk, or closes the pending one.
    fn token(&mut self, pos: usize, is_else: bool) {
        self.after_else = false;
        if let Some(end) = self.pending_end.take() {
            if is_else {
                return;
            }
            if let Some(start) = self.chunk_start.take() {
                self.chunks.push(start..end);
            }
        }
        if self.chunk_start.is_none() {
            self.chunk_start = Some(pos);
        }
    }

    fn end_statement(&mut self, pos: usize) {
        if self.broken || !self.stack.is_empty() {
            return;
        }
        if self.chunk_start.is_some() && self.pending_end.is_none() {
            self.pending_end = Some(pos);
        }
    }

    /// Scans the whole text, one token (or blank, or comment) at a time.
    fn run(&mut self) {
        let src = self.src;
        let n = src.len();
        // A byte-order mark is whitespace.
        let mut i = 0;
        if src.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.out[..3].copy_from_slice(b"   ");
            i = 3;
        }
        while i < n {
            let c = src[i];
            i = match c {
                b' ' | b'\t' | b'\r' | 0x0C => i + 1,
                0x0B => {
                    self.out[i] = b' ';
                    i + 1
                }
                b'\n' => self.newline(i),
                b';' => {
                    self.end_statement(i);
                    self.last = LastToken::None;
                    i + 1
                }
                b'/' if src.get(i + 1) == Some(&b'/') => self.line_comment(i),
                b'/' if src.get(i + 1) == Some(&b'*') => self.block_comment(i),
                b'0'..=b'9' => self.number(i),
                b'.' if src.get(i + 1).is_some_and(u8::is_ascii_digit) => self.number(i),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(i),
                b'(' | b'[' | b'{' => self.open_bracket(c, i),
                b'"' => self.string(i),
                b'<' if self.last == LastToken::ElemType => {
                    self.token(i, false);
                    self.push(Delimiter::Angle, i);
                    self.last = LastToken::Continues;
                    i + 1
                }
                b'>' if matches!(self.stack.last(), Some((Delimiter::Angle, _))) => {
                    self.angle_close(i)
                }
                b'}' if self.stack.is_empty() && self.stan_block.is_some() => {
                    self.stan_block_end(i)
                }
                b':' => {
                    self.token(i, false);
                    self.last = LastToken::Colon;
                    i + 1
                }
                // Postfix transpose, `X'`.
                b'\'' if self.last == LastToken::Other => {
                    self.token(i, false);
                    i + 1
                }
                b')' | b']' | b'}' => {
                    self.token(i, false);
                    self.close(c as char, i);
                    self.last = LastToken::Other;
                    i + 1
                }
                _ => match operator_len(&src[i..]) {
                    Some(len) => {
                        self.token(i, false);
                        self.last = LastToken::Continues;
                        i + len
                    }
                    None => self.bad_char(i),
                },
            };
        }
        self.finish();
    }

    /// A newline ends the statement unless it sits inside `(`, `[` or `<`
    /// or follows an operator; a continuing newline becomes `\x0B`.
    fn newline(&mut self, i: usize) -> usize {
        let inside = matches!(
            self.stack.last(),
            Some((Delimiter::Paren | Delimiter::Bracket | Delimiter::Angle, _))
        );
        if inside || matches!(self.last, LastToken::Continues | LastToken::Colon) {
            self.out[i] = 0x0B;
        } else {
            self.end_statement(i);
        }
        i + 1
    }

    /// `// ...` up to the end of the line (which the caller then sees).
    fn line_comment(&mut self, mut i: usize) -> usize {
        let src = self.src;
        while i < src.len() && src[i] != b'\n' {
            if src[i] == 0x0B {
                self.out[i] = b' ';
            }
            i += 1;
        }
        i
    }

    /// `/* ... */`, or an error when it never closes.
    fn block_comment(&mut self, start: usize) -> usize {
        let src = self.src;
        let n = src.len();
        let mut i = start + 2;
        loop {
            if i + 1 >= n {
                self.error(
                    start,
                    Diagnostic::error("unterminated-comment", "this block comment is never closed")
                        .with_label(self.span(start, start + 2), "comment starts here")
                        .with_help("close it with `*/`"),
                );
                return n;
            }
            if src[i] == b'*' && src[i + 1] == b'/' {
                return i + 2;
            }
            i += 1;
        }
    }

    /// A name or keyword; counts `else if` chains, which nest in the parser.
    fn word(&mut self, start: usize) -> usize {
        let src = self.src;
        let mut i = start;
        while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
            i += 1;
        }
        let word = &src[start..i];
        if self.at_statement_start() {
            if let Some(end) = self.stan_block_start(start) {
                return end;
            }
        }
        let prev_else = self.after_else;
        self.token(start, word == b"else");
        if word == b"if" {
            let level = self.stack.len();
            if self.else_if_chain.len() <= level {
                self.else_if_chain.resize(level + 1, 0);
            }
            if prev_else {
                self.else_if_chain[level] += 1;
                if level + self.else_if_chain[level] > MAX_NESTING {
                    self.too_deep(start, level + self.else_if_chain[level]);
                }
            } else {
                self.else_if_chain[level] = 0;
            }
        }
        self.after_else = word == b"else";
        let vector_type = matches!(word, b"vector" | b"row_vector" | b"matrix");
        self.last =
            if word == b"int" || word == b"real" || vector_type && self.last == LastToken::Colon {
                LastToken::ElemType
            } else {
                LastToken::Other
            };
        i
    }

    /// `(`, `[` or `{`.
    fn open_bracket(&mut self, c: u8, i: usize) -> usize {
        self.token(i, false);
        let open = match c {
            b'(' => Delimiter::Paren,
            b'[' => Delimiter::Bracket,
            _ => Delimiter::Brace,
        };
        self.push(open, i);
        self.last = if open == Delimiter::Brace {
            LastToken::None
        } else {
            LastToken::Continues
        };
        i + 1
    }

    /// A `>` inside a constraint: its end, or a comparison.
    fn angle_close(&mut self, i: usize) -> usize {
        let src = self.src;
        let n = src.len();
        self.token(i, false);
        // `<lower=a > b>`: a `>` followed by an operand is a
        // comparison (an error the parser reports), not the end.
        let mut j = i + 1;
        while j < n && (src[j] == b' ' || src[j] == b'\t') {
            j += 1;
        }
        let operand = j < n && (src[j].is_ascii_alphanumeric() || src[j] == b'_' || src[j] == b'(');
        // ... unless no `>` follows on the line to close the constraint
        // (`real<lower=0> sigma`, a Stan declaration).
        let closes_later = src[i + 1..]
            .iter()
            .take_while(|&&b| b != b'\n' && b != b';')
            .any(|&b| b == b'>');
        if operand && closes_later && src[i + 1] != b'=' {
            self.last = LastToken::Continues;
        } else {
            self.stack.pop();
            self.last = LastToken::Other;
        }
        i + 1
    }

    /// At the end of the text: an unclosed bracket, and the last statement.
    fn finish(&mut self) {
        let n = self.src.len();
        self.unclosed_stan_block();
        if let Some(&(open, pos)) = self.stack.last() {
            self.error(
                pos,
                Diagnostic::error(
                    "unclosed-bracket",
                    format!("unclosed `{}`", open.open_char()),
                )
                .with_label(
                    self.span(pos, pos + 1),
                    format!("this `{}` is never closed", open.open_char()),
                )
                .with_help(format!("add the matching `{}`", open.close_char())),
            );
        }
        if let Some(start) = self.chunk_start {
            let end = if self.broken || !self.stack.is_empty() {
                n
            } else {
                self.pending_end.unwrap_or(n)
            };
            self.chunks.push(start..end);
        }
    }

    fn push(&mut self, open: Delimiter, pos: usize) {
        self.stack.push((open, pos));
        let chain = self
            .else_if_chain
            .get(self.stack.len() - 1)
            .copied()
            .unwrap_or(0);
        if self.stack.len() + chain > MAX_NESTING {
            self.too_deep(pos, self.stack.len() + chain);
        }
    }

    fn too_deep(&mut self, pos: usize, level: usize) {
        if self.too_deep_reported {
            return;
        }
        self.too_deep_reported = true;
        self.error(
            pos,
            Diagnostic::error(
                "too-deep",
                format!(
                    "nesting is too deep: more than {MAX_NESTING} levels of brackets, blocks and `else if` branches"
                ),
            )
            .with_label(self.span(pos, pos + 1), format!("level {level} starts here"))
            .with_help("split the expression with `let`, or move code into a function"),
        );
    }

    fn close(&mut self, c: char, pos: usize) {
        match self.stack.last().copied() {
            Some((open, _)) if open.close_char() == c => {
                self.stack.pop();
            }
            Some((Delimiter::Angle, at)) => {
                self.stack.pop();
                self.error(
                    pos,
                    Diagnostic::error(
                        "unclosed-bracket",
                        format!("expected `>` to close the constraint, found `{c}`"),
                    )
                    .with_label(self.span(pos, pos + 1), format!("unexpected `{c}`"))
                    .with_label(self.span(at, at + 1), "constraint opened here")
                    .with_help("a comparison inside a bound needs parentheses"),
                );
                self.broken = true;
            }
            Some((open, at)) => {
                self.error(
                    pos,
                    Diagnostic::error(
                        "mismatched-bracket",
                        format!("expected `{}`, found `{c}`", open.close_char()),
                    )
                    .with_label(
                        self.span(pos, pos + 1),
                        format!("`{c}` does not close `{}`", open.open_char()),
                    )
                    .with_label(
                        self.span(at, at + 1),
                        format!("`{}` opened here", open.open_char()),
                    ),
                );
                self.stack.pop();
                self.broken = true;
            }
            None => {
                if !self.broken {
                    self.error(
                        pos,
                        Diagnostic::error(
                            "unmatched-bracket",
                            format!("`{c}` has no matching opening bracket"),
                        )
                        .with_label(self.span(pos, pos + 1), "unmatched")
                        .with_help("remove it, or add the opening bracket where the group starts"),
                    );
                    self.broken = true;
                }
            }
        }
    }

    fn bad_char(&mut self, i: usize) -> usize {
        let rest = std::str::from_utf8(&self.src[i..]).ok();
        let ch = match rest {
            Some(r) => r.chars().next().unwrap_or('\u{FFFD}'),
            None => {
                // Not at a char boundary of valid UTF-8: cannot happen for &str input.
                '\u{FFFD}'
            }
        };
        let len = ch.len_utf8().max(1);
        self.token(i, false);
        let help = if ch == '&' {
            "logical and is written `&&`"
        } else if ch.is_alphabetic() {
            "names may use only ASCII letters, digits and `_`"
        } else if ch == '\'' {
            "strings (only in `print` and `reject`) are written in double quotes"
        } else {
            "remove it"
        };
        self.error(
            i,
            Diagnostic::error(
                "bad-character",
                format!("unexpected character `{}`", ch.escape_debug()),
            )
            .with_label(self.span(i, i + len), "not part of the language")
            .with_help(help),
        );
        i + len
    }
}

/// Length of the operator token at the start of `s`, if any.
fn operator_len(s: &[u8]) -> Option<usize> {
    const OPS: &[&[u8]] = &[
        b"%/%", b".*", b"./", b"<=", b">=", b"==", b"!=", b"&&", b"||", b"->", b"+=", b"+", b"-",
        b"*", b"/", b"^", b"%", b"<", b">", b"=", b"!", b"?", b":", b",", b"~", b"|",
    ];
    OPS.iter().find(|op| s.starts_with(op)).map(|op| op.len())
}

#[cfg(test)]
mod tests;
