//! The abstract syntax tree produced by the parser: every node carries its span.
