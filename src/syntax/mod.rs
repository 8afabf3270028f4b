//! Parsing `.vi` text into the AST (the only module that knows pest).
