//! Code generated from the AWS KMS service model by `tools/gen_shapes.py`.

#![allow(missing_docs, clippy::all)]

pub mod constraints;
pub mod operations;
pub mod shapes;
