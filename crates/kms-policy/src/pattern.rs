//! Wildcard patterns and policy variables.
//!
//! Implements the wildcard rules of "IAM JSON policy elements: Resource"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>),
//! of the String and ARN condition operators
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and the `${...}` substitution of "IAM policy elements: Variables and tags"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).

use std::borrow::Cow;

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Exactly this character.
    Lit(char),
    /// `*`: any run of characters; `colon` says whether the run may hold a `:`.
    Star { colon: bool },
    /// `?`: any one character; `colon` says whether it may be a `:`.
    One { colon: bool },
}

/// How the `*` and `?` of a text are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wildcards {
    /// No wildcards: every character stands for itself (StringEquals and friends).
    Literal,
    /// `*` and `?` match anything, colons included (StringLike, Action, ARN segments).
    Glob,
    /// The Resource element: a `*` that ends an ARN segment may run past colons, any other
    /// `*` and every `?` stay within their segment.
    ArnResource,
}

/// Compiles literal text into tokens under the given wildcard rules.
fn push_text(tokens: &mut Vec<Tok>, text: &str, wildcards: Wildcards) {
    for c in text.chars() {
        let tok = match (c, wildcards) {
            (_, Wildcards::Literal) => Tok::Lit(c),
            ('*', _) => Tok::Star { colon: true },
            ('?', Wildcards::Glob) => Tok::One { colon: true },
            ('?', Wildcards::ArnResource) => Tok::One { colon: false },
            _ => Tok::Lit(c),
        };
        tokens.push(tok);
    }
}

/// Applies the Resource rule: a `*` not followed by `:` or the end cannot match a colon.
fn confine_stars(tokens: &mut [Tok]) {
    for i in 0..tokens.len() {
        if let Tok::Star { .. } = tokens[i] {
            let ends_segment = matches!(tokens.get(i + 1), None | Some(Tok::Lit(':')));
            tokens[i] = Tok::Star {
                colon: ends_segment,
            };
        }
    }
}

/// Compares two characters, folding case when asked.
fn same_char(a: char, b: char, fold_case: bool) -> bool {
    a == b || (fold_case && a.to_lowercase().eq(b.to_lowercase()))
}

/// Whether `text` matches the whole of `pattern`.
///
/// A dynamic-programming walk over the text, one pattern token at a time: the work is bounded
/// by the product of both lengths, so no pattern can make it backtrack exponentially.
pub(crate) fn matches(pattern: &[Tok], text: &str, fold_case: bool) -> bool {
    // Fast path: a pattern without wildcards is a plain comparison.
    if pattern.iter().all(|t| matches!(t, Tok::Lit(_))) {
        let mut chars = text.chars();
        let same = pattern.iter().all(|t| match (t, chars.next()) {
            (Tok::Lit(p), Some(c)) => same_char(*p, c, fold_case),
            _ => false,
        });
        return same && chars.next().is_none();
    }

    // reach[j]: the tokens seen so far match exactly text[..j].
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut reach = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    reach[0] = true;
    for tok in pattern {
        next.iter_mut().for_each(|r| *r = false);
        step(*tok, &chars, &reach, &mut next, fold_case);
        std::mem::swap(&mut reach, &mut next);
        if !reach.iter().any(|r| *r) {
            return false;
        }
    }
    reach[n]
}

/// Advances the reachable set of [`matches`] over one token.
fn step(tok: Tok, chars: &[char], reach: &[bool], next: &mut [bool], fold_case: bool) {
    match tok {
        Tok::Lit(p) => {
            for (j, c) in chars.iter().enumerate() {
                next[j + 1] = reach[j] && same_char(p, *c, fold_case);
            }
        }
        Tok::One { colon } => {
            for (j, c) in chars.iter().enumerate() {
                next[j + 1] = reach[j] && (colon || *c != ':');
            }
        }
        Tok::Star { colon } => {
            // A run may start at any reachable position and stops at a colon it may not cross.
            let mut open = false;
            for j in 0..next.len() {
                open |= reach[j];
                next[j] = open;
                if !colon && chars.get(j) == Some(&':') {
                    open = false;
                }
            }
        }
    }
}

/// A part of a policy value as written.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    /// Text taken as written (its wildcards keep their meaning).
    Text(String),
    /// `${name}` or `${name, 'default'}`.
    Var {
        name: String,
        default: Option<String>,
    },
    /// `${*}`, `${?}` or `${$}`: the character itself, never a wildcard.
    Escape(char),
}

/// A policy value that may hold policy variables, with its wildcard rules.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Template {
    /// The value as written.
    raw: String,
    /// The value split into text, variables and escapes.
    pieces: Vec<Piece>,
    /// How wildcards in the text are read.
    wildcards: Wildcards,
    /// The compiled pattern when the value holds no variable.
    fixed: Option<Vec<Tok>>,
}

impl Template {
    /// Whether the value holds a policy variable, read from the request at evaluation.
    pub(crate) fn has_variables(&self) -> bool {
        self.fixed.is_none()
    }

    /// Reads `raw`; `variables` is false for documents of Version 2008-10-17, where `${` is text.
    pub(crate) fn new(raw: &str, wildcards: Wildcards, variables: bool) -> Template {
        let pieces = if variables {
            split_pieces(raw)
        } else {
            vec![Piece::Text(raw.to_owned())]
        };
        let mut template = Template {
            raw: raw.to_owned(),
            pieces,
            wildcards,
            fixed: None,
        };
        if !template
            .pieces
            .iter()
            .any(|p| matches!(p, Piece::Var { .. }))
        {
            template.fixed = template.compile(&|_| None);
        }
        template
    }

    /// The pattern with its variables replaced, or `None` when a variable has no value and no
    /// default (such a value matches nothing).
    pub(crate) fn tokens<'a>(
        &'a self,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Cow<'a, [Tok]>> {
        match &self.fixed {
            Some(tokens) => Some(Cow::Borrowed(tokens)),
            None => self.compile(vars).map(Cow::Owned),
        }
    }

    /// Whether `text` matches this value.
    pub(crate) fn matches(
        &self,
        text: &str,
        vars: &dyn Fn(&str) -> Option<String>,
        fold_case: bool,
    ) -> bool {
        self.tokens(vars)
            .is_some_and(|tokens| matches(&tokens, text, fold_case))
    }

    /// Builds the token list, substituting variables through `vars`.
    fn compile(&self, vars: &dyn Fn(&str) -> Option<String>) -> Option<Vec<Tok>> {
        let mut tokens = Vec::with_capacity(self.raw.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => push_text(&mut tokens, text, self.wildcards),
                Piece::Escape(c) => tokens.push(Tok::Lit(*c)),
                Piece::Var { name, default } => {
                    // A substituted value is literal: its own `*` is no wildcard.
                    let value = vars(name).or_else(|| default.clone())?;
                    push_text(&mut tokens, &value, Wildcards::Literal);
                }
            }
        }
        if self.wildcards == Wildcards::ArnResource {
            confine_stars(&mut tokens);
        }
        Some(tokens)
    }
}

/// Splits a value into text, `${...}` variables and escapes. A `${` without a closing `}`, or
/// with an unreadable inside, stays text.
fn split_pieces(raw: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let parsed = after
            .find('}')
            .and_then(|end| Some((parse_var(&after[..end])?, end)));
        match parsed {
            Some((piece, end)) => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
                rest = &after[end + 1..];
            }
            None => {
                text.push_str("${");
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

/// Reads the inside of `${...}`: an escape, a key name, or a key name with a quoted default.
fn parse_var(inner: &str) -> Option<Piece> {
    // The three escapes stand for their character.
    if let "*" | "?" | "$" = inner {
        return inner.chars().next().map(Piece::Escape);
    }

    // `${key, 'default'}`: the default is single-quoted.
    let (name, default) = match inner.split_once(',') {
        Some((name, default)) => {
            let default = default.trim();
            let quoted = default.strip_prefix('\'')?.strip_suffix('\'')?;
            (name.trim(), Some(quoted.to_owned()))
        }
        None => (inner, None),
    };

    // A key name is non-empty and has no blanks, quotes or nested braces.
    let bad = |c: char| c.is_whitespace() || matches!(c, '{' | '}' | '$' | '\'' | '"');
    if name.is_empty() || name.contains(bad) {
        return None;
    }
    Some(Piece::Var {
        name: name.to_owned(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn star_in_resource_stays_in_its_segment_unless_it_ends_it() {
        let mid = Template::new("arn:aws:kms:us-*-1:1:key/k", Wildcards::ArnResource, true);
        assert!(mid.matches("arn:aws:kms:us-east-1:1:key/k", &none, false));
        assert!(!mid.matches("arn:aws:kms:us-x:y-1:1:key/k", &none, false));
        let end = Template::new("arn:aws:kms:*", Wildcards::ArnResource, true);
        assert!(end.matches("arn:aws:kms:us-east-1:1:key/k", &none, false));
    }

    #[test]
    fn unclosed_variable_is_text() {
        assert_eq!(split_pieces("a${b"), vec![Piece::Text("a${b".into())]);
        assert_eq!(split_pieces("${ x}"), vec![Piece::Text("${ x}".into())]);
    }

    #[test]
    fn default_value_is_single_quoted() {
        assert_eq!(
            split_pieces("${aws:username, 'nobody'}"),
            vec![Piece::Var {
                name: "aws:username".into(),
                default: Some("nobody".into())
            }]
        );
        assert_eq!(
            split_pieces("${k, nobody}"),
            vec![Piece::Text("${k, nobody}".into())]
        );
    }
}
