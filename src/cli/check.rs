//! `vippl check MODEL.vi [--data FILE]...`: parse and check a model and
//! print its parameter layout.
//!
//! Exit codes: 0 when the model checks (warnings go to stderr), 1 when it
//! has errors or a file cannot be read (missing files included: the
//! arguments were well-formed, the input was not), 2 for usage errors.

use super::load::{self, Failed};
use crate::shell::{emit, exit, use_color};
use clap::Args;
use std::path::PathBuf;
use vippl::check::Layout;
use vippl::diagnostics::{RenderOptions, render};
use vippl::source::SourceMap;
use vippl::workflow;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The model file, or `-` to read it from standard input.
    pub model: PathBuf,
    /// Data files (JSON, CSV, or NAME=FILE.csv); may be repeated.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
}

pub(super) fn run(args: &CheckArgs) -> i32 {
    let opts = RenderOptions {
        color: use_color(&std::io::stderr()),
        width: 100,
    };
    let (name, text) = match workflow::read_model_text(&args.model) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("error: {msg}");
            return exit::MODEL;
        }
    };
    let mut sources = SourceMap::new();
    let (model, warnings) = match vippl::check::load_model(&mut sources, &name, &text) {
        Ok(x) => x,
        Err(diags) => {
            eprint!("{}", render(&diags, &sources, opts));
            let n = diags.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "error: `{name}` has {n} error{}",
                if n == 1 { "" } else { "s" }
            );
            return exit::MODEL;
        }
    };
    if !warnings.is_empty() {
        eprint!("{}", render(&warnings, &sources, opts));
    }
    if args.data.is_empty() {
        let layout = Layout::of(&model, &sources);
        emit(&layout.render(None));
        return exit::OK;
    }
    // With data: bind it (shapes, types, bounds) and print the sizes.
    let input = match load::read_data(&args.data) {
        Ok(i) => i,
        Err(Failed(code)) => return code,
    };
    let cm = match load::compile_with(model, sources, &input, false) {
        Ok(cm) => cm,
        Err(Failed(code)) => return code,
    };
    let layout = Layout::of(cm.model(), cm.sources());
    emit(&layout.render(Some(&|e| cm.eval_int(e))));
    exit::OK
}
