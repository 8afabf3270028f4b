//! Any bytes as a data file (Stan JSON, CSV with a header, headerless
//! `NAME=file.csv`), bound to a model with int and real arrays, vars sized
//! by the data and a matrix: a panic, an abort or an allocation beyond the
//! machine is a bug; a diagnostic is the expected outcome.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vippl::data::{DataInput, DataSpec};

const MODEL: &str = "data N: int<lower=0>\ndata K: int<lower=0>\ndata y: real[N]\n\
data g: int[N]\ndata X: real[N, K]\nvar v: real[N, K]\nparam mu: real\n\
mu ~ normal(0, 1)\ny ~ normal(mu, 1)\n";

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let spec = match kind % 3 {
        0 => DataSpec::Json("fuzz.json".into()),
        1 => DataSpec::Csv("fuzz.csv".into()),
        _ => DataSpec::Named("X".into(), "fuzz.csv".into()),
    };
    let mut input = DataInput::default();
    if input.add(&spec, &text).is_err() {
        return;
    }
    let _ = vippl::workflow::compile_text("fuzz.vi", MODEL, &input);
});
