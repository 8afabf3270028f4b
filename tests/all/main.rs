//! Integration tests, compiled as one binary to keep builds fast.

mod dist;
mod transform;
