//! The model's Java-style regular expressions, matched as Java's `String.matches` does: the
//! whole value must match.
//!
//! The `regex` crate reads `\uXXXX` as Java does, but its `\w`, `\d` and `\s` are Unicode-aware
//! where Java's are ASCII-only, so those three are rewritten to their ASCII classes before
//! compiling. Compiled expressions are cached by pattern text for the life of the process.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use regex::Regex;

/// Compiled patterns by model text; `None` marks a pattern that did not compile.
type Cache = RwLock<HashMap<&'static str, Option<Regex>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Whether `text` matches all of `pattern`. A pattern that does not compile matches anything,
/// so a generator or translation gap never rejects valid requests (a test compiles them all).
pub fn full_match(pattern: &'static str, text: &str) -> bool {
    // A poisoned lock still holds a valid map: entries are inserted whole.
    if let Some(found) = cache()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
    {
        return found.as_ref().is_none_or(|re| re.is_match(text));
    }
    let compiled = compile(pattern);
    let matched = compiled.as_ref().is_none_or(|re| re.is_match(text));
    cache()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pattern, compiled);
    matched
}

/// Compiles a model pattern anchored at both ends.
pub fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{})$", translate(pattern))).ok()
}

/// Rewrites `\w`, `\d` and `\s` to ASCII classes, inside and outside brackets.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match ascii_class(next) {
                    Some(body) if in_class => out.push_str(body),
                    Some(body) => {
                        out.push('[');
                        out.push_str(body);
                        out.push(']');
                    }
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            // A `-` right before `]` or after a range is literal in Java; escape it for `regex`.
            '-' if in_class && needs_escape(&out, chars.clone().next()) => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether a `-` inside a class cannot start a range, so that `regex` must see it escaped:
/// it follows a completed range (`0-9-_`) or stands last.
fn needs_escape(so_far: &str, next: Option<char>) -> bool {
    let tail: Vec<char> = so_far.chars().rev().take(3).collect();
    let after_range = tail.len() == 3 && tail[1] == '-' && tail[2] != '\\' && tail[2] != '[';
    after_range || next == Some(']')
}

/// The body of the ASCII class Java means by `\w`, `\d` or `\s`.
fn ascii_class(escape: char) -> Option<&'static str> {
    match escape {
        'w' => Some("0-9A-Za-z_"),
        'd' => Some("0-9"),
        's' => Some("\\t\\n\\x0B\\x0C\\r "),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_classes_are_ascii() {
        let word = compile("[\\w]+").expect("compiles");
        assert!(word.is_match("Policy_1"));
        assert!(!word.is_match("é"));
        let region = compile("^([a-z]+-){2,3}\\d+$").expect("compiles");
        assert!(region.is_match("us-east-1"));
        assert!(!region.is_match("us-east-١"));
    }

    #[test]
    fn unicode_escapes_and_full_match() {
        let marker = compile("[\\u0020-\\u00FF]*").expect("compiles");
        assert!(marker.is_match("abc ÿ"));
        assert!(!marker.is_match("ā"));
        let cluster = compile("cluster-[2-7a-zA-Z]{11,16}").expect("compiles");
        assert!(!cluster.is_match("xcluster-abcdefghijk"));
    }

    #[test]
    fn literal_dashes_after_ranges() {
        let xks = compile("^[a-zA-Z0-9-_.]+$").expect("compiles");
        assert!(xks.is_match("a-b_c.d"));
        assert!(!xks.is_match("a/b"));
    }
}
