//! The one error type of kmsd: an AWS KMS exception name and its message.
//!
//! Every variant of [`ErrorCode`] is an exception name that AWS KMS puts in `__type`; its doc line
//! names the HTTP status, and [`ErrorCode::http_status`] is the one exhaustive match that gives
//! it (SPEC.md D28-D30: every client error is 400 on the wire, whatever Smithy declares).

use std::fmt;

/// An AWS KMS exception name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400. The caller may not do this (also the answer for a ciphertext of an unknown key).
    AccessDeniedException,
    /// 400. The resource already exists.
    AlreadyExistsException,
    /// 400. The request conflicts with an operation in progress.
    ConflictException,
    /// 400. A custom key store is in the wrong state (custom key stores are not served).
    CustomKeyStoreInvalidStateException,
    /// 400. No such custom key store.
    CustomKeyStoreNotFoundException,
    /// 503. A system component did not answer in time; retryable.
    DependencyTimeoutException,
    /// 400. The key is disabled.
    DisabledException,
    /// 400. The request would have succeeded, but DryRun was set.
    DryRunOperationException,
    /// 400. The import token has expired.
    ExpiredImportTokenException,
    /// 400. The key in the request is not the key of the ciphertext.
    IncorrectKeyException,
    /// 400. The imported material is not the material the key expects.
    IncorrectKeyMaterialException,
    /// 400. A request header is missing from the signature or malformed.
    IncompleteSignatureException,
    /// 400. The alias name is not valid.
    InvalidAliasNameException,
    /// 400. The ARN is not valid for this operation.
    InvalidArnException,
    /// 400. The ciphertext, its context or its encrypted material is not valid.
    InvalidCiphertextException,
    /// 400. The grant ID is not valid.
    InvalidGrantIdException,
    /// 400. A grant token is not valid.
    InvalidGrantTokenException,
    /// 400. The import token is not valid for this key.
    InvalidImportTokenException,
    /// 400. The key's usage does not allow this operation.
    InvalidKeyUsageException,
    /// 400. The pagination marker is not valid.
    InvalidMarkerException,
    /// 400. The signature does not match the request.
    InvalidSignatureException,
    /// 500. Something went wrong inside kmsd; retryable.
    KMSInternalException,
    /// 400. The MAC does not verify.
    KMSInvalidMacException,
    /// 400. The signature does not verify.
    KMSInvalidSignatureException,
    /// 400. The key's state does not allow this operation.
    KMSInvalidStateException,
    /// 500. The key is unavailable; retryable.
    KeyUnavailableException,
    /// 400. A quota would be exceeded.
    LimitExceededException,
    /// 400. The key policy is not a valid policy document.
    MalformedPolicyDocumentException,
    /// 400. The request carries no Authorization header or query signature.
    MissingAuthenticationTokenException,
    /// 400. No such key, alias or grant.
    NotFoundException,
    /// 400. A name reserved for AWS, such as `alias/aws/...` (SPEC D16; not in the model).
    NotAuthorizedException,
    /// 400. The body is not valid JSON, a member has the wrong type, or a blob is not base64.
    SerializationException,
    /// 400. A tag is not valid.
    TagException,
    /// 400. The request rate is over the limit.
    ThrottlingException,
    /// 400. The `X-Amz-Target` names no operation of the API.
    UnknownOperationException,
    /// 400. The access key is not known.
    UnrecognizedClientException,
    /// 400. The operation, or this form of it, is not supported.
    UnsupportedOperationException,
    /// 400. A member violates a constraint of the model.
    ValidationException,
}

impl ErrorCode {
    /// The HTTP status AWS KMS answers with for this exception.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            KMSInternalException | KeyUnavailableException => 500,
            DependencyTimeoutException => 503,
            AccessDeniedException
            | AlreadyExistsException
            | ConflictException
            | CustomKeyStoreInvalidStateException
            | CustomKeyStoreNotFoundException
            | DisabledException
            | DryRunOperationException
            | ExpiredImportTokenException
            | IncorrectKeyException
            | IncorrectKeyMaterialException
            | IncompleteSignatureException
            | InvalidAliasNameException
            | InvalidArnException
            | InvalidCiphertextException
            | InvalidGrantIdException
            | InvalidGrantTokenException
            | InvalidImportTokenException
            | InvalidKeyUsageException
            | InvalidMarkerException
            | InvalidSignatureException
            | KMSInvalidMacException
            | KMSInvalidSignatureException
            | KMSInvalidStateException
            | LimitExceededException
            | MalformedPolicyDocumentException
            | MissingAuthenticationTokenException
            | NotFoundException
            | NotAuthorizedException
            | SerializationException
            | TagException
            | ThrottlingException
            | UnknownOperationException
            | UnrecognizedClientException
            | UnsupportedOperationException
            | ValidationException => 400,
        }
    }

    /// The exception name as it appears in `__type`.
    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            AccessDeniedException => "AccessDeniedException",
            AlreadyExistsException => "AlreadyExistsException",
            ConflictException => "ConflictException",
            CustomKeyStoreInvalidStateException => "CustomKeyStoreInvalidStateException",
            CustomKeyStoreNotFoundException => "CustomKeyStoreNotFoundException",
            DependencyTimeoutException => "DependencyTimeoutException",
            DisabledException => "DisabledException",
            DryRunOperationException => "DryRunOperationException",
            ExpiredImportTokenException => "ExpiredImportTokenException",
            IncorrectKeyException => "IncorrectKeyException",
            IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
            IncompleteSignatureException => "IncompleteSignatureException",
            InvalidAliasNameException => "InvalidAliasNameException",
            InvalidArnException => "InvalidArnException",
            InvalidCiphertextException => "InvalidCiphertextException",
            InvalidGrantIdException => "InvalidGrantIdException",
            InvalidGrantTokenException => "InvalidGrantTokenException",
            InvalidImportTokenException => "InvalidImportTokenException",
            InvalidKeyUsageException => "InvalidKeyUsageException",
            InvalidMarkerException => "InvalidMarkerException",
            InvalidSignatureException => "InvalidSignatureException",
            KMSInternalException => "KMSInternalException",
            KMSInvalidMacException => "KMSInvalidMacException",
            KMSInvalidSignatureException => "KMSInvalidSignatureException",
            KMSInvalidStateException => "KMSInvalidStateException",
            KeyUnavailableException => "KeyUnavailableException",
            LimitExceededException => "LimitExceededException",
            MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            NotFoundException => "NotFoundException",
            NotAuthorizedException => "NotAuthorizedException",
            SerializationException => "SerializationException",
            TagException => "TagException",
            ThrottlingException => "ThrottlingException",
            UnknownOperationException => "UnknownOperationException",
            UnrecognizedClientException => "UnrecognizedClientException",
            UnsupportedOperationException => "UnsupportedOperationException",
            ValidationException => "ValidationException",
        }
    }

    /// Whether this is a server fault (5xx) rather than a client error.
    pub fn is_fault(self) -> bool {
        self.http_status() >= 500
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An AWS KMS error as the client sees it: exception name and message.
///
/// The message is what goes on the wire; it never holds a secret. For a server fault it says
/// only that something went wrong, and the detail goes to the log instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    /// The exception name.
    pub code: ErrorCode,
    /// The message sent to the client (may be empty, as AWS sends for some exceptions).
    pub message: String,
}

impl KmsError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        KmsError {
            code,
            message: message.into(),
        }
    }

    /// `NotFoundException` with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFoundException, message)
    }

    /// `ValidationException` with this message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message)
    }

    /// `KMSInvalidStateException` with this message.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::KMSInvalidStateException, message)
    }

    /// `UnsupportedOperationException` with this message.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedOperationException, message)
    }

    /// `InvalidCiphertextException` with AWS's empty message.
    pub fn invalid_ciphertext() -> Self {
        Self::new(ErrorCode::InvalidCiphertextException, "")
    }

    /// `KMSInternalException`: the client learns only that something went wrong inside.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::KMSInternalException,
            "An internal error occurred.",
        )
    }

    /// `SerializationException` with this message.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SerializationException, message)
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for KmsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_400_and_faults_5xx() {
        assert_eq!(ErrorCode::NotFoundException.http_status(), 400);
        assert_eq!(ErrorCode::AlreadyExistsException.http_status(), 400);
        assert_eq!(ErrorCode::DisabledException.http_status(), 400);
        assert_eq!(ErrorCode::KMSInternalException.http_status(), 500);
        assert_eq!(ErrorCode::DependencyTimeoutException.http_status(), 503);
        assert!(ErrorCode::KeyUnavailableException.is_fault());
        assert!(!ErrorCode::ValidationException.is_fault());
    }
}
