//! Text search shared by the lists: case-insensitive prefix matching that means the same on
//! SQLite and PostgreSQL, with LIKE wildcards in user text escaped.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, IntoColumnRef, LikeExpr, SimpleExpr};

use crate::error::{AppError, AppResult};

/// Longest search text accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Most words in a search (each word is a condition; unbounded, they would overflow the stack).
pub const MAX_SEARCH_WORDS: usize = 6;

/// Search text that has been trimmed and bounded at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` for absent or blank text; BAD_USER_INPUT for text beyond the limits.
    pub fn parse(text: Option<String>) -> AppResult<Option<Self>> {
        let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let chars = text.chars().count();
        if chars > MAX_SEARCH_CHARS {
            return Err(AppError::bad_input(
                "search",
                format!("must be at most {MAX_SEARCH_CHARS} characters, got {chars}"),
            ));
        }
        let words = text.split_whitespace().count();
        if words > MAX_SEARCH_WORDS {
            return Err(AppError::bad_input(
                "search",
                format!("must be at most {MAX_SEARCH_WORDS} words, got {words}"),
            ));
        }
        Ok(Some(Self(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-cases `text` and escapes `%`, `_` and `\\` for `LIKE … ESCAPE '\\'`.
pub fn like_pattern(text: &str, prefix_only: bool) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}

/// `LOWER(col) LIKE pattern ESCAPE '\\'`, for a pattern built by [`like_pattern`].
pub fn lower_like(col: impl IntoColumnRef, pattern: String) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(pattern).escape('\\'))
}

/// `word` as names are written: first letter upper case, the rest lower (`łukasz` → `Łukasz`).
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect())
        .unwrap_or_default()
}

/// A LIKE prefix pattern for `word` exactly as given (escaped, case kept).
fn exact_prefix(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("{escaped}%")
}

/// One column starts with `word`, ignoring case. SQLite's `LOWER()` folds only ASCII, so
/// non-ASCII words are also matched in the capitalised form names are written in.
fn starts_with(col: impl IntoColumnRef + Clone, word: &str) -> Condition {
    let mut any = Condition::any().add(lower_like(col.clone(), like_pattern(word, true)));
    if !word.is_ascii() {
        any = any.add(Expr::col(col).like(LikeExpr::new(exact_prefix(&capitalised(word))).escape('\\')));
    }
    any
}

/// Every word of `text` starts the family or the given name.
pub fn name_words(family: impl IntoColumnRef + Clone, given: impl IntoColumnRef + Clone, text: &str) -> Condition {
    let mut cond = Condition::all();
    for word in text.split_whitespace() {
        cond = cond.add(Condition::any().add(starts_with(family.clone(), word)).add(starts_with(given.clone(), word)));
    }
    cond
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_bounded() {
        assert_eq!(SearchText::parse(None).unwrap(), None);
        assert_eq!(SearchText::parse(Some("   ".into())).unwrap(), None);
        assert_eq!(SearchText::parse(Some(" Mary Smith ".into())).unwrap().unwrap().as_str(), "Mary Smith");
        let many_words = ["a"; 7].join(" ");
        assert_eq!(SearchText::parse(Some(many_words)).unwrap_err().code(), "BAD_USER_INPUT");
        assert_eq!(SearchText::parse(Some("x".repeat(101))).unwrap_err().code(), "BAD_USER_INPUT");
    }

    #[test]
    fn names_are_capitalised_as_written() {
        assert_eq!(capitalised("łukasz"), "Łukasz");
        assert_eq!(capitalised("ÖZTÜRK"), "Öztürk");
        assert_eq!(exact_prefix("50%"), "50\\%%");
    }

    #[test]
    fn wildcards_in_user_text_are_escaped() {
        assert_eq!(like_pattern("50%_Off", true), "50\\%\\_off%");
        assert_eq!(like_pattern("a\\b", false), "%a\\\\b%");
    }
}
