//! The IAM policy language (being written).
