//! Text search shared by the lists: case-insensitive prefix matching that means the same on
//! SQLite and PostgreSQL, with LIKE wildcards in user text escaped.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, IntoColumnRef, LikeExpr, SimpleExpr};

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

/// Every word of `text` starts the family or the given name.
pub fn name_words(family: impl IntoColumnRef + Clone, given: impl IntoColumnRef + Clone, text: &str) -> Condition {
    let mut cond = Condition::all();
    for word in text.split_whitespace() {
        let pattern = like_pattern(word, true);
        cond = cond.add(
            Condition::any().add(lower_like(family.clone(), pattern.clone())).add(lower_like(given.clone(), pattern)),
        );
    }
    cond
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_user_text_are_escaped() {
        assert_eq!(like_pattern("50%_Off", true), "50\\%\\_off%");
        assert_eq!(like_pattern("a\\b", false), "%a\\\\b%");
    }
}
