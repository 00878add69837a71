//! Verification of AWS Signature Version 4 request signatures
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>), header form only.
//!
//! The verifier recomputes the signature from the request and the caller's secret: canonical
//! request, string to sign, derived signing key, HMAC-SHA256. It computes the body hash itself,
//! compares signatures in constant time and accepts a request time at most five minutes away
//! from its own clock. Every failure is an HTTP 400 with AWS's exception name and message text.

mod authorization;
mod canonical;

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::{digest, hmac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use kms_model::{AccountId, ErrorCode, KmsError, Region};

pub use authorization::{parse_authorization, Authorization, Scope, ALGORITHM};
pub use canonical::{canonical_request, RequestParts};

use crate::time;
use crate::AccessKey;

/// How far the request time may be from the server's clock, in seconds.
const MAX_SKEW_SECS: i64 = 300;

/// How many derived signing keys are kept before the cache starts afresh.
const CACHE_LIMIT: usize = 4096;

/// The identity a valid signature establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The access key ID that signed the request.
    pub access_key_id: String,
    /// The account the access key belongs to.
    pub account: AccountId,
    /// The principal the access key maps to (the account root when the config names none).
    pub principal_arn: String,
    /// The region of the credential scope.
    pub region: Region,
}

/// A derived signing key is bound to (access key ID, scope date, region).
type CacheKey = (String, String, String);

/// Verifies SigV4 signatures against a fixed set of access keys, for one service name.
pub struct Verifier {
    keys: HashMap<String, AccessKey>,
    service: String,
    signing_keys: Mutex<HashMap<CacheKey, Zeroizing<[u8; 32]>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("access_keys", &self.keys.len())
            .field("service", &self.service)
            .finish()
    }
}

/// `IncompleteSignatureException` with this message.
fn incomplete(message: impl Into<String>) -> KmsError {
    KmsError::new(ErrorCode::IncompleteSignatureException, message)
}

/// `InvalidSignatureException` with this message.
fn invalid(message: impl Into<String>) -> KmsError {
    KmsError::new(ErrorCode::InvalidSignatureException, message)
}

/// The message AWS sends when the recomputed signature differs.
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
    provided. Check your AWS Secret Access Key and signing method. Consult the service \
    documentation for details.";

impl Verifier {
    /// A verifier for requests signed for `service` (`kms` for the KMS API) by one of `keys`.
    pub fn new(keys: impl IntoIterator<Item = AccessKey>, service: &str) -> Self {
        let keys = keys.into_iter().map(|k| (k.id.clone(), k)).collect();
        Verifier {
            keys,
            service: service.to_string(),
            signing_keys: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies the signature of `req` at time `now` (epoch seconds) and answers who signed it.
    pub fn verify(&self, req: &RequestParts<'_>, now: i64) -> Result<Identity, KmsError> {
        // The Authorization header and the request date must both be there.
        let header = req
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                KmsError::new(
                    ErrorCode::MissingAuthenticationTokenException,
                    "Missing Authentication Token",
                )
            })?;
        let header = header
            .to_str()
            .map_err(|_| incomplete("The Authorization header is not ASCII."))?;
        let date = RequestDate::from_headers(req.headers)?;
        let auth = parse_authorization(header, date.is_some())?;
        let date = date.ok_or_else(|| incomplete("Missing date."))?;

        // The scope names this service, a valid region and the day of the request.
        let region = self.check_scope(&auth.scope, &date)?;

        // The access key is known, and the request time is close to ours.
        let key = self.keys.get(auth.access_key_id).ok_or_else(|| {
            KmsError::new(
                ErrorCode::UnrecognizedClientException,
                "The security token included in the request is invalid.",
            )
        })?;
        check_skew(date.secs, now)?;

        // The headers that carry the date and the host are signed, and the body hash matches.
        check_signed_headers(&auth, &date)?;
        let body_hash = hex::encode(digest::digest(&digest::SHA256, req.body));
        check_content_hash(req, &body_hash)?;

        // Recompute the signature and compare in constant time.
        let expected = self.signature(req, &auth, key, &date.amz, &body_hash);
        if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Err(invalid(MISMATCH));
        }
        let principal_arn = key.principal_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{}:iam::{}:root",
                region.partition().as_str(),
                key.account
            )
        });
        Ok(Identity {
            access_key_id: key.id.clone(),
            account: key.account.clone(),
            principal_arn,
            region,
        })
    }

    /// Checks terminator, service, region and date of the scope; answers the region.
    fn check_scope(&self, scope: &Scope<'_>, date: &RequestDate) -> Result<Region, KmsError> {
        if scope.terminator != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                scope.terminator.chars().take(64).collect::<String>()
            )));
        }
        if scope.service != self.service {
            return Err(invalid(format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.service
            )));
        }
        let region = Region::parse(scope.region)
            .ok_or_else(|| invalid("Credential should be scoped to a valid region. "))?;
        let day = date.amz.get(..8).unwrap_or_default();
        if scope.date != day {
            return Err(invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{}', from '{}'.",
                scope.date.chars().take(16).collect::<String>(),
                day,
                date.amz
            )));
        }
        Ok(region)
    }

    /// The hex signature the request should carry if `key` signed it.
    fn signature(
        &self,
        req: &RequestParts<'_>,
        auth: &Authorization<'_>,
        key: &AccessKey,
        amz_date: &str,
        body_hash: &str,
    ) -> String {
        // Canonical request, then the string to sign over its hash.
        let canonical = canonical_request(req, &auth.signed_headers, body_hash);
        let scope = format!(
            "{}/{}/{}/{}",
            auth.scope.date, auth.scope.region, auth.scope.service, auth.scope.terminator
        );
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            hex::encode(digest::digest(&digest::SHA256, &canonical))
        );

        // HMAC under the derived key of this scope.
        let signing_key = self.signing_key(key, auth.scope.date, auth.scope.region);
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &signing_key[..]),
            string_to_sign.as_bytes(),
        );
        hex::encode(tag.as_ref())
    }

    /// The derived signing key of (key, date, region), from the cache or freshly derived.
    fn signing_key(&self, key: &AccessKey, date: &str, region: &str) -> Zeroizing<[u8; 32]> {
        let cache_key = (key.id.clone(), date.to_string(), region.to_string());
        // A poisoned lock only means another request panicked mid-insert; the map is still valid.
        let mut cache = self.signing_keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(&cache_key) {
            return found.clone();
        }
        let derived = derive_signing_key(&key.secret, date, region, &self.service);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(cache_key, derived.clone());
        derived
    }
}

/// The HMAC chain `AWS4<secret>` → date → region → service → `aws4_request`.
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut current = Zeroizing::new(format!("AWS4{secret}").into_bytes());
    for part in [date, region, service, "aws4_request"] {
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &current),
            part.as_bytes(),
        );
        current = Zeroizing::new(tag.as_ref().to_vec());
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&current);
    out
}

/// The request time, from `X-Amz-Date` or else `Date`.
struct RequestDate {
    /// The time in `YYYYMMDDTHHMMSSZ` form, as it goes into the string to sign.
    amz: String,
    /// The time in epoch seconds.
    secs: i64,
    /// The lowercase name of the header it came from.
    header: &'static str,
}

impl RequestDate {
    /// Reads the date headers; `None` when the request has neither.
    fn from_headers(headers: &http::HeaderMap) -> Result<Option<RequestDate>, KmsError> {
        if let Some(value) = headers.get("x-amz-date") {
            let text = String::from_utf8_lossy(value.as_bytes());
            let secs = time::parse_amz(&text).ok_or_else(|| {
                incomplete(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{}'. See \
                     http://en.wikipedia.org/wiki/ISO_8601",
                    text.chars().take(64).collect::<String>()
                ))
            })?;
            return Ok(Some(RequestDate {
                amz: text.into_owned(),
                secs,
                header: "x-amz-date",
            }));
        }
        let Some(value) = headers.get(http::header::DATE) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(value.as_bytes());
        let secs = time::parse_http(&text).ok_or_else(|| {
            incomplete(
                "The 'Date' header must be an HTTP date such as 'Sun, 30 Aug 2015 12:36:00 GMT'.",
            )
        })?;
        Ok(Some(RequestDate {
            amz: time::format_amz(secs),
            secs,
            header: "date",
        }))
    }
}

/// Fails when the request time is more than five minutes from `now`.
fn check_skew(request: i64, now: i64) -> Result<(), KmsError> {
    let (req, now_text) = (time::format_amz(request), time::format_amz(now));
    if request < now - MAX_SKEW_SECS {
        let bound = time::format_amz(now - MAX_SKEW_SECS);
        return Err(invalid(format!(
            "Signature expired: {req} is now earlier than {bound} ({now_text} - 5 min.)"
        )));
    }
    if request > now + MAX_SKEW_SECS {
        let bound = time::format_amz(now + MAX_SKEW_SECS);
        return Err(invalid(format!(
            "Signature not yet current: {req} is still later than {bound} ({now_text} + 5 min.)"
        )));
    }
    Ok(())
}

/// The host and the date header must be among the signed headers.
fn check_signed_headers(auth: &Authorization<'_>, date: &RequestDate) -> Result<(), KmsError> {
    let signed = |name: &str| {
        auth.signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    };
    if !signed("host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if !signed(date.header) {
        let name = if date.header == "date" {
            "Date"
        } else {
            "X-Amz-Date"
        };
        return Err(incomplete(format!(
            "'{name}' must be a 'SignedHeader' in the AWS Authorization."
        )));
    }
    Ok(())
}

/// An `x-amz-content-sha256` header, when present, must be the hash of the body.
fn check_content_hash(req: &RequestParts<'_>, body_hash: &str) -> Result<(), KmsError> {
    match req.headers.get("x-amz-content-sha256") {
        Some(claimed)
            if !claimed
                .as_bytes()
                .eq_ignore_ascii_case(body_hash.as_bytes()) =>
        {
            Err(invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_messages_name_request_bound_and_now() {
        let req = 1_440_938_160; // 20150830T123600Z
        let err = check_skew(req, req + 15 * 60).expect_err("expired");
        assert_eq!(
            err.message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z \
             (20150830T125100Z - 5 min.)"
        );
        let err = check_skew(req, req - 15 * 60).expect_err("not yet current");
        assert_eq!(
            err.message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T122600Z \
             (20150830T122100Z + 5 min.)"
        );
        assert!(check_skew(req, req + 300).is_ok());
        assert!(check_skew(req, req - 300).is_ok());
    }

    #[test]
    fn derived_key_matches_the_documented_example() {
        // The example of "Derive a signing key" in the IAM user guide (service iam, 20150830).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(&key[..]),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }
}
