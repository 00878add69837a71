//! Opaque pagination markers and limits of the List operations (SPEC.md D33).
//!
//! A marker is the base64 of a version tag and the sort key of the last item returned, so a
//! page costs the same wherever it starts. A marker kmsd did not make fails
//! `InvalidMarkerException`.

use base64_free::{decode, encode};
use kms_model::{ErrorCode, KmsError};

/// The sort key after which the next page starts, from a request's Marker.
pub(crate) fn after(marker: Option<&str>) -> Result<Option<String>, KmsError> {
    let Some(marker) = marker else {
        return Ok(None);
    };
    let invalid = || KmsError::new(ErrorCode::InvalidMarkerException, "Invalid marker.");
    let text = decode(marker).ok_or_else(invalid)?;
    let key = text.strip_prefix("v1:").ok_or_else(invalid)?;
    Ok(Some(key.to_string()))
}

/// The NextMarker for a page whose last item has the sort key `last`.
pub(crate) fn next_marker(last: &str) -> String {
    encode(&format!("v1:{last}"))
}

/// One page of an in-memory list, by position: the items after the request's Marker (the
/// position the previous page ended at), at most `limit`, and the NextMarker if more follow.
pub(crate) fn page_of<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), KmsError> {
    let start = match after(marker)? {
        Some(pos) => pos
            .parse::<usize>()
            .map_err(|_| KmsError::new(ErrorCode::InvalidMarkerException, "Invalid marker."))?,
        None => 0,
    };
    let page: Vec<T> = items.iter().skip(start).take(limit).cloned().collect();
    let end = start + page.len();
    let next = (end < items.len()).then(|| next_marker(&end.to_string()));
    Ok((page, next))
}

/// The page size: the request's Limit (already range-checked by the validator) or the default.
pub(crate) fn limit(requested: Option<i64>, default: usize, max: usize) -> usize {
    requested
        .map(|l| (l.max(1) as usize).min(max))
        .unwrap_or(default)
}

/// Hex is enough for markers and needs no extra dependency.
mod base64_free {
    pub fn encode(text: &str) -> String {
        hex::encode(text.as_bytes())
    }

    pub fn decode(marker: &str) -> Option<String> {
        String::from_utf8(hex::decode(marker).ok()?).ok()
    }
}
