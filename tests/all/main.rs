//! Integration tests, compiled as one binary to keep builds fast.
