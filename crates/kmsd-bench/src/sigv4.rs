//! A request signer for AWS Signature Version 4, specialised to the JSON protocol of KMS,
//! following "Create a signed AWS API request" in
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
//!
//! Every request is a `POST /` with the same four signed headers, so the canonical request is
//! assembled directly instead of through a general header canonicaliser. The derived signing
//! key depends only on the day and the region, and is cached for both.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};

/// The service name that the credential scope carries.
const SERVICE: &str = "kms";

/// The content type of every KMS JSON request.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The headers that each signature covers, sorted, joined by `;`.
const SIGNED_HEADERS: &str = "content-type;host;x-amz-date;x-amz-target";

/// An access key pair.
#[derive(Clone)]
pub struct Credentials {
    /// The access key ID, such as `AKIAIOSFODNN7EXAMPLE`.
    pub access_key: String,
    /// The secret access key; never printed.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// The headers that a signed request must carry besides `content-type` and `x-amz-target`.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// The value of `x-amz-date`, such as `20240101T000000Z`.
    pub amz_date: String,
    /// The value of `authorization`.
    pub authorization: String,
}

/// A signing key derived for one day and one region.
struct CachedKey {
    /// The day, `YYYYMMDD`.
    day: String,
    /// The region name.
    region: String,
    /// The key that signs the string to sign.
    key: hmac::Key,
}

/// Signs KMS requests for one set of credentials, caching the derived key per day and region.
pub struct Signer {
    /// The credentials that sign.
    credentials: Credentials,
    /// The derived keys in use, one per region (a benchmark uses a handful of regions).
    cache: Vec<CachedKey>,
}

impl Signer {
    /// A signer for `credentials` with an empty key cache.
    pub fn new(credentials: Credentials) -> Self {
        Signer {
            credentials,
            cache: Vec::new(),
        }
    }

    /// Signs a request to `host` with `target` (`TrentService.Encrypt`) and `body` in `region`
    /// at the current time.
    pub fn sign_now(
        &mut self,
        host: &str,
        target: &str,
        region: &str,
        body: &[u8],
    ) -> SignedHeaders {
        let amz_date = amz_date(SystemTime::now());
        self.sign(host, target, region, body, amz_date)
    }

    /// Signs a request at the time `amz_date` (`YYYYMMDDTHHMMSSZ`).
    pub fn sign(
        &mut self,
        host: &str,
        target: &str,
        region: &str,
        body: &[u8],
        amz_date: String,
    ) -> SignedHeaders {
        // The canonical request: method, path, empty query, headers, header list, body hash.
        let body_hash = hex(digest::digest(&digest::SHA256, body).as_ref());
        let canonical = format!(
            "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\n\
             x-amz-target:{target}\n\n{SIGNED_HEADERS}\n{body_hash}"
        );

        // The string to sign names the algorithm, the time, the scope and the request's hash.
        let day = &amz_date[..8];
        let scope = format!("{day}/{region}/{SERVICE}/aws4_request");
        let canonical_hash = hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{canonical_hash}");

        // The signature with the (cached) key of this day and region.
        let key = self.signing_key(day, region);
        let signature = hex(hmac::sign(key, to_sign.as_bytes()).as_ref());
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={SIGNED_HEADERS}, \
             Signature={signature}",
            self.credentials.access_key
        );
        SignedHeaders {
            amz_date,
            authorization,
        }
    }

    /// The signing key of `day` and `region`, derived on first use and then reused.
    fn signing_key(&mut self, day: &str, region: &str) -> &hmac::Key {
        // Reuse the cached key when one matches; a new day replaces the region's old entry.
        let found = self.cache.iter().position(|c| c.region == region);
        let index = match found {
            Some(i) if self.cache[i].day == day => i,
            Some(i) => {
                self.cache[i] = self.derive(day, region);
                i
            }
            None => {
                self.cache.push(self.derive(day, region));
                self.cache.len() - 1
            }
        };
        &self.cache[index].key
    }

    /// Derives the key of `day` and `region` by the HMAC chain of the specification.
    fn derive(&self, day: &str, region: &str) -> CachedKey {
        let bytes = derive_signing_key(&self.credentials.secret_key, day, region, SERVICE);
        CachedKey {
            day: day.to_owned(),
            region: region.to_owned(),
            key: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
        }
    }
}

/// The signing key bytes: HMAC of `aws4_request` under the HMAC chain over day, region, service.
pub fn derive_signing_key(secret: &str, day: &str, region: &str, service: &str) -> Vec<u8> {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [day, region, service, "aws4_request"] {
        let k = hmac::Key::new(hmac::HMAC_SHA256, &key);
        key = hmac::sign(&k, part.as_bytes()).as_ref().to_vec();
    }
    key
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The `x-amz-date` form (`YYYYMMDDTHHMMSSZ`, UTC) of `time`.
pub fn amz_date(time: SystemTime) -> String {
    // Seconds since the epoch; a clock before 1970 is treated as the epoch itself.
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let of_day = secs % 86_400;

    // The civil date of the day count, then the time of day.
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        (of_day / 60) % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01 so that the leap day ends each 400-year era's years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);

    // Months run March = 0 .. February = 11 in this count.
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn derived_key_matches_the_published_example() {
        // The derived-key example of the AWS SigV4 documentation (IAM, us-east-1, 2012-02-15).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn amz_date_formats_utc() {
        let at = |secs| amz_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_440_938_160), "20150830T123600Z");
        assert_eq!(at(1_735_689_599), "20241231T235959Z");
    }

    #[test]
    fn cache_keeps_one_key_per_region_and_replaces_old_days() {
        let mut signer = Signer::new(Credentials {
            access_key: "AKID".into(),
            secret_key: "secret".into(),
        });
        signer.sign("h", "T", "us-east-1", b"{}", "20240101T000000Z".into());
        signer.sign("h", "T", "eu-west-1", b"{}", "20240101T000000Z".into());
        signer.sign("h", "T", "us-east-1", b"{}", "20240102T000000Z".into());
        assert_eq!(signer.cache.len(), 2);
        assert!(signer
            .cache
            .iter()
            .any(|c| c.day == "20240102" && c.region == "us-east-1"));
    }
}
