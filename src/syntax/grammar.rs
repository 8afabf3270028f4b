//! The pest parser generated from `grammar/vippl.pest`, and its `Rule`s.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/vippl.pest"]
pub(super) struct VipplParser;
