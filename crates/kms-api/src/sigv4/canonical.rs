//! The canonical request of AWS Signature Version 4, "Create a canonical request" in
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
//!
//! The path is normalized (dot segments and repeated slashes removed) and each segment
//! URI-encoded once more, as every AWS service other than S3 expects; the query string is
//! decoded, re-encoded and sorted; the signed headers are lowercased, trimmed, their runs of
//! spaces collapsed and repeated headers joined by commas.

use http::HeaderMap;

/// The parts of an HTTP request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, such as `POST`.
    pub method: &'a str,
    /// The path as it arrived on the wire (still percent-encoded), such as `/`.
    pub path: &'a str,
    /// The query string without its `?`; empty when there is none.
    pub query: &'a str,
    /// Every header of the request.
    pub headers: &'a HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

/// The canonical request for `req` over `signed_headers` (lowercase names, in the order the
/// Authorization header lists them) and the hex SHA-256 of the body.
pub fn canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[&str],
    body_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);

    // Method, path and query, one line each.
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(req.query).as_bytes());
    out.push(b'\n');

    // One `name:value` line per signed header, then a blank line.
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        append_header_values(&mut out, req.headers, name);
        out.push(b'\n');
    }
    out.push(b'\n');

    // The signed header list and the payload hash.
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body_hash.as_bytes());
    out
}

/// Appends every value of header `name`, trimmed, spaces collapsed, joined by commas.
fn append_header_values(out: &mut Vec<u8>, headers: &HeaderMap, name: &str) {
    for (i, value) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let trimmed = value.as_bytes().trim_ascii();
        let mut after_space = false;
        for &b in trimmed {
            let space = b == b' ' || b == b'\t';
            if !(space && after_space) {
                out.push(if space { b' ' } else { b });
            }
            after_space = space;
        }
    }
}

/// Percent-encodes every byte except the unreserved characters `A-Za-z0-9-._~`.
pub(crate) fn uri_encode(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// The normalized path with each segment URI-encoded; `/` for an empty path.
fn canonical_uri(path: &str) -> String {
    // Remove empty and `.` segments, and let `..` drop the segment before it.
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }

    // Encode each remaining segment; keep a trailing slash the path had.
    let mut out = String::with_capacity(path.len() + 8);
    for segment in &segments {
        out.push('/');
        uri_encode(segment.as_bytes(), &mut out);
    }
    let trailing = path.ends_with('/') && !segments.is_empty();
    if trailing || segments.is_empty() {
        out.push('/');
    }
    out
}

/// The query parameters decoded, re-encoded and sorted by name, then by value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (encode_component(name), encode_component(value))
        })
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    joined.join("&")
}

/// Decodes the percent escapes of a query component and encodes it the AWS way.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    uri_encode(&percent_decode(text.as_bytes()), &mut out);
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&h), Some(&l)) if bytes[i] == b'%' => hex(h).zip(hex(l)),
            _ => None,
        };
        match escape {
            Some((h, l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_and_encoded() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/a%2Fb"), "/a%252Fb");
        assert_eq!(canonical_uri("/example space/"), "/example%20space/");
    }

    #[test]
    fn queries_are_sorted_and_reencoded() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("Param1"), "Param1=");
        assert_eq!(canonical_query("k=a+b%20c%zz"), "k=a%2Bb%20c%25zz");
    }
}
