//! The one match from operation to handler.

use kms_model::{Caller, KmsError, Operation};

use crate::Service;

pub(crate) async fn dispatch(
    _svc: &Service,
    op: Operation,
    _caller: &Caller,
    _input: serde_json::Value,
) -> Result<Vec<u8>, KmsError> {
    Err(KmsError::unsupported(format!("{} is not supported by kmsd yet.", op.name())))
}
