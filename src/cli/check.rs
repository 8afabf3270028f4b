//! `vippl check MODEL.vi [--data FILE]...`: parse and check a model and
//! print its parameter layout.
//!
//! Exit codes: 0 when the model checks (warnings go to stderr), 1 when it
//! has errors or a file cannot be read (missing files included: the
//! arguments were well-formed, the input was not), 2 for usage errors.

use super::{exit, stderr_color};
use crate::check::Layout;
use crate::diagnostics::{RenderOptions, render};
use crate::source::SourceMap;
use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The model file, or `-` to read it from standard input.
    pub model: PathBuf,
    /// Data files (JSON, CSV, or NAME=FILE.csv); may be repeated.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
}

/// Reads the model text; the name is what diagnostics call the file.
pub(super) fn read_model(path: &Path) -> Result<(String, String), String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return match std::io::stdin().read_to_string(&mut text) {
            Ok(_) => Ok(("<stdin>".to_string(), text)),
            Err(e) => Err(format!("cannot read the model from standard input: {e}")),
        };
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok((path.display().to_string(), text)),
            Err(e) => Err(format!(
                "cannot read model file `{}`: it is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )),
        },
        Err(e) => Err(format!("cannot read model file `{}`: {e}", path.display())),
    }
}

pub(super) fn run(args: &CheckArgs) -> i32 {
    let opts = RenderOptions {
        color: stderr_color(),
        width: 100,
    };
    let (name, text) = match read_model(&args.model) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("error: {msg}");
            return exit::MODEL;
        }
    };
    let mut sources = SourceMap::new();
    let (model, warnings) = match crate::check::load_model(&mut sources, &name, &text) {
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
        print!("{}", layout.render(None));
        return exit::OK;
    }
    // With data: bind it (shapes, types, bounds) and print the sizes.
    let input = match super::load::read_data(&args.data) {
        Ok(i) => i,
        Err(super::load::Failed(code)) => return code,
    };
    let cm = match super::load::compile_with(model, sources, &input, false) {
        Ok(cm) => cm,
        Err(super::load::Failed(code)) => return code,
    };
    let layout = Layout::of(cm.model(), cm.sources());
    print!("{}", layout.render(Some(&|e| cm.eval_int(e))));
    exit::OK
}
