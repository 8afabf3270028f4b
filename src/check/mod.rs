//! Name resolution, types, shapes and constraints: AST to IR, collecting every problem.
