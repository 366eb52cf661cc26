//! Relay cursor connections. A cursor names only the id of the last row seen (never a name or
//! any other value of a record: cursors end up in URLs and logs); the next page looks up that
//! row's sort key through the caller's scope of the list (the rows they may see, whatever the
//! filters), so a cursor forged from a row the caller may not see finds nothing, and is answered
//! exactly as a cursor naming no row at all. The filters are not part of the lookup: a cursor of a
//! row the caller may see pages on from that row whether or not it matches them, so the answer
//! never says whether it does ("does this person have that condition" asked as a cursor), and a
//! row that has left the list since keeps its place. Every page is bounded by `MAX_PAGE_SIZE`, and
//! `totalCount` is counted only when a client asks for it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::BoxFuture;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Order, Query, SimpleExpr, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Value,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Largest page any connection returns; `first` above it is refused, not silently trimmed.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// A validated request for one page.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u64,
    /// The id of the last row of the previous page.
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let KeyedPageRequest { limit, after } = KeyedPageRequest::new(first, after)?;
        Ok(Self { limit, after })
    }
}

/// A validated request for one page of a list whose rows are not one row each, so that its cursor
/// is a key of several ids (the access trail's event and person), never a value of a record.
#[derive(Debug, Clone)]
pub struct KeyedPageRequest<K> {
    pub limit: u64,
    /// The key of the last row of the previous page.
    pub after: Option<K>,
}

impl<K: DeserializeOwned> KeyedPageRequest<K> {
    pub fn new(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && n as u64 <= MAX_PAGE_SIZE => n as u64,
            Some(n) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("must be between 1 and {MAX_PAGE_SIZE}, got {n}; page through larger results with `after`"),
                ))
            }
        };
        let after = after.map(|c| decode_cursor(&c)).transpose()?;
        Ok(Self { limit, after })
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> AppResult<K> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).ok_or_else(|| {
        AppError::bad_input(
            "after",
            "is not a cursor this list issued; use an endCursor or edge cursor from a previous page",
        )
    })
}

#[derive(Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// A count that runs only when `totalCount` is selected.
pub struct LazyCount(Box<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>);

impl LazyCount {
    pub fn new<F>(f: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
    {
        Self(Box::new(f))
    }

    /// Counts the rows `select` would return, when asked.
    pub fn of<E, C>(db: &C, select: Select<E>) -> Self
    where
        E: EntityTrait,
        E::Model: Send + Sync,
        C: ConnectionTrait + Clone + Send + 'static,
    {
        let db = db.clone();
        Self::new(move || {
            let (select, db) = (select.clone(), db.clone());
            Box::pin(async move { Ok(select.count(&db).await?) })
        })
    }

    pub async fn get(&self) -> AppResult<u64> {
        (self.0)().await
    }
}

/// One page of nodes with their cursors, ready to become a connection.
pub struct Page<N> {
    pub items: Vec<(String, N)>,
    pub page_info: PageInfo,
    pub total: LazyCount,
}

impl<N> Page<N> {
    /// Builds a page from `limit + 1` fetched rows (the extra row only tells that more exist).
    pub fn from_rows<R, K: Serialize>(
        mut rows: Vec<R>,
        request_limit: u64,
        had_cursor: bool,
        key: impl Fn(&R) -> K,
        node: impl Fn(R) -> N,
        total: LazyCount,
    ) -> Self {
        let has_next_page = rows.len() as u64 > request_limit;
        rows.truncate(request_limit as usize);
        let items: Vec<(String, N)> = rows.into_iter().map(|r| (encode_cursor(&key(&r)), node(r))).collect();
        let page_info = PageInfo {
            has_next_page,
            has_previous_page: had_cursor,
            start_cursor: items.first().map(|(c, _)| c.clone()),
            end_cursor: items.last().map(|(c, _)| c.clone()),
        };
        Self { items, page_info, total }
    }
}

impl<N> Page<N> {
    /// A page that fetched no rows because only `totalCount` was asked for.
    pub fn count_only(total: LazyCount) -> Self {
        Self {
            items: Vec::new(),
            page_info: PageInfo {
                has_next_page: false,
                has_previous_page: false,
                start_cursor: None,
                end_cursor: None,
            },
            total,
        }
    }

    /// As `map`, stopping at the first error.
    pub fn try_map<M>(self, mut f: impl FnMut(N) -> AppResult<M>) -> AppResult<Page<M>> {
        let items = self.items.into_iter().map(|(cursor, node)| Ok((cursor, f(node)?))).collect::<AppResult<_>>()?;
        Ok(Page { items, page_info: self.page_info, total: self.total })
    }

    pub fn map<M>(self, mut f: impl FnMut(N) -> M) -> Page<M> {
        Page {
            items: self.items.into_iter().map(|(cursor, node)| (cursor, f(node))).collect(),
            page_info: self.page_info,
            total: self.total,
        }
    }

    /// Drops items `f` refuses; cursors and page info stay those of the rows fetched.
    pub fn filter_map<M>(self, mut f: impl FnMut(N) -> Option<M>) -> Page<M> {
        Page {
            items: self.items.into_iter().filter_map(|(cursor, node)| f(node).map(|n| (cursor, n))).collect(),
            page_info: self.page_info,
            total: self.total,
        }
    }
}

/// Keyset for lists ordered by a name, then id.
pub type NameKey = (String, Uuid);
/// Keyset for lists of people ordered by family name, given name, then id.
pub type PersonKey = (String, String, Uuid);

/// Rows after `key` in (name, id) order.
pub fn after_name(name: impl ColumnTrait, id: impl ColumnTrait, key: &NameKey) -> Condition {
    Condition::any().add(name.gt(key.0.clone())).add(Condition::all().add(name.eq(key.0.clone())).add(id.gt(key.1)))
}

/// Rows after the row whose values of `terms` are `key`, in the terms' order: the first term
/// that differs decides, in its own direction.
pub fn after_key(terms: &[(SimpleExpr, Order)], key: &[Value]) -> Condition {
    let mut any = Condition::any();
    for (i, ((expr, direction), value)) in terms.iter().zip(key).enumerate() {
        let mut all = Condition::all();
        for ((earlier, _), earlier_value) in terms[..i].iter().zip(key) {
            all = all.add(Expr::expr(earlier.clone()).eq(earlier_value.clone()));
        }
        let beyond = match direction {
            Order::Desc => Expr::expr(expr.clone()).lt(value.clone()),
            _ => Expr::expr(expr.clone()).gt(value.clone()),
        };
        any = any.add(all.add(beyond));
    }
    any
}

/// Rows after `key` in (family name, given name, id) order.
pub fn after_person(
    family: impl ColumnTrait,
    given: impl ColumnTrait,
    id: impl ColumnTrait,
    key: &PersonKey,
) -> Condition {
    let (f, g, i) = key;
    Condition::any()
        .add(family.gt(f.clone()))
        .add(Condition::all().add(family.eq(f.clone())).add(given.gt(g.clone())))
        .add(Condition::all().add(family.eq(f.clone())).add(given.eq(g.clone())).add(id.gt(*i)))
}

/// One page of `base` in `order` (ascending; the last column is the unique id the cursors name),
/// after the request's cursor, with a lazy total over `base`. A cursor costs one more statement:
/// reading the sort key of the row it names, through `base` itself (for lists whose filters say
/// nothing about a person; lists of people look cursors up through their scope, [`keyset_page_in`]).
pub async fn keyset_page<E, K, C>(
    db: &C,
    base: Select<E>,
    page: PageRequest,
    order: &[E::Column],
    after: impl Fn(&K) -> Condition,
    key: impl Fn(&E::Model) -> K,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait + Clone + Send + 'static,
{
    let cursors = base.clone();
    keyset_page_in(db, base, cursors, page, order, Direction::Ascending, after, key).await
}

/// The direction a list is sorted in.
// Also the way a keyset page runs over its order columns: descending, `after` must select rows
// *below* the cursor's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first (A to Z for names).
    #[default]
    Ascending,
    /// Largest first (Z to A for names).
    Descending,
}

impl Direction {
    pub fn order(self) -> Order {
        match self {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        }
    }
}

/// [`keyset_page`] in either direction, with its cursors looked up through `cursors`: the caller's
/// scope of the list without its filters (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub async fn keyset_page_in<E, K, C>(
    db: &C,
    base: Select<E>,
    cursors: Select<E>,
    page: PageRequest,
    order: &[E::Column],
    direction: Direction,
    after: impl Fn(&K) -> Condition,
    key: impl Fn(&E::Model) -> K,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait + Clone + Send + 'static,
{
    let id_column = id_column_of(order)?;
    let total = LazyCount::of(db, base.clone());
    let cursor = after_cursor::<E, K, C>(db, &cursors, &page, id_column, &after, &key).await?;
    let mut query = base;
    if let Some(cursor) = cursor {
        query = query.filter(cursor);
    }
    let rows = ordered(query, order, direction).limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page.limit, page.after.is_some(), |m| id_of(m, id_column), |m| m, total))
}

/// A list written as the union of slices, each of which one index reads in the list's order (e.g.
/// "referrals I sent" and "referrals I received", once per status).
pub struct Sliced<E: EntityTrait> {
    /// The whole list, for the lazy total.
    pub whole: Select<E>,
    pub slices: Vec<Select<E>>,
    /// The caller's scope of the list without its filters, through which cursors are looked up.
    pub cursors: Select<E>,
}

/// [`keyset_page_in`] over a [`Sliced`] list. Each slice is cut to the page before the slices are
/// merged, so that a page costs its own size whatever the slices hold: the same list written as
/// one `OR` makes PostgreSQL collect and sort every matching row first. One statement (two after a
/// cursor).
pub async fn keyset_page_union<E, K, C>(
    db: &C,
    list: Sliced<E>,
    page: PageRequest,
    order: &[E::Column],
    direction: Direction,
    after: impl Fn(&K) -> Condition,
    key: impl Fn(&E::Model) -> K,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait + Clone + Send + 'static,
{
    let id_column = id_column_of(order)?;
    let cursor = after_cursor::<E, K, C>(db, &list.cursors, &page, id_column, &after, &key).await?;
    let total = LazyCount::of(db, list.whole);
    let mut members = list.slices.into_iter().enumerate().map(|(n, slice)| {
        let slice = match &cursor {
            Some(c) => slice.filter(c.clone()),
            None => slice,
        };
        // The sort key and id only: an index that ends in them answers the slice on its own.
        let keys = ordered(slice, order, direction).select_only().columns(order.iter().copied()).limit(page.limit + 1);
        // Wrapped, because SQLite takes no ORDER BY or LIMIT on a member of a compound SELECT.
        Query::select().column(Asterisk).from_subquery(keys.into_query(), Alias::new(format!("slice{n}"))).to_owned()
    });
    let mut union = members
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("keyset_page_union needs at least one slice")))?;
    for member in members {
        union.union(UnionType::Distinct, member);
    }
    // The page's ids from the merged keys, so that only the rows on the page are read whole.
    let mut page_ids = Query::select();
    page_ids.column(Alias::new(id_column.as_str())).from_subquery(union, Alias::new("merged"));
    for column in order {
        page_ids.order_by(Alias::new(column.as_str()), direction.order());
    }
    page_ids.limit(page.limit + 1);
    let query = E::find().filter(id_column.in_subquery(page_ids));
    let rows = ordered(query, order, direction).limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page.limit, page.after.is_some(), |m| id_of(m, id_column), |m| m, total))
}

/// The last order column: the unique id that cursors name.
fn id_column_of<Col: Copy>(order: &[Col]) -> AppResult<Col> {
    order.last().copied().ok_or_else(|| AppError::internal(anyhow::anyhow!("keyset_page needs at least the id column")))
}

/// The answer to a cursor that names no row of the list: the same whether the row does not exist,
/// has left the list, or is one the caller may not see (else a cursor is an existence oracle).
pub fn cursor_not_in_list() -> AppError {
    AppError::bad_input(
        "after",
        "this cursor does not name a row of this list that you may see; start again from the first page",
    )
}

/// The condition for rows after the request's cursor: the sort key of the row it names, read
/// through `scope`, so that only a row the caller may see can serve as a cursor.
async fn after_cursor<E, K, C>(
    db: &C,
    scope: &Select<E>,
    page: &PageRequest,
    id_column: E::Column,
    after: &impl Fn(&K) -> Condition,
    key: &impl Fn(&E::Model) -> K,
) -> AppResult<Option<Condition>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let Some(cursor_id) = page.after else {
        return Ok(None);
    };
    let cursor_row = scope.clone().filter(id_column.eq(cursor_id)).one(db).await?.ok_or_else(cursor_not_in_list)?;
    Ok(Some(after(&key(&cursor_row))))
}

fn ordered<E: EntityTrait>(mut query: Select<E>, order: &[E::Column], direction: Direction) -> Select<E> {
    for column in order {
        query = query.order_by(*column, direction.order());
    }
    query
}

/// The id a cursor names, read from the row's id column.
fn id_of<M: sea_orm::ModelTrait>(model: &M, id_column: <M::Entity as EntityTrait>::Column) -> Uuid {
    match model.get(id_column) {
        sea_orm::Value::Uuid(Some(id)) => id,
        _ => Uuid::nil(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_capped_and_explained() {
        assert_eq!(PageRequest::new(None, None).unwrap().limit, DEFAULT_PAGE_SIZE);
        assert_eq!(PageRequest::new(Some(100), None).unwrap().limit, 100);
        for bad in [0, -1, 101, i32::MAX] {
            let err = PageRequest::new(Some(bad), None).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
    }

    #[test]
    fn cursors_name_only_an_id_and_garbage_is_refused() {
        let id = Uuid::from_u128(7);
        let cursor = encode_cursor(&id);
        assert_eq!(decode_cursor::<Uuid>(&cursor).unwrap(), id);
        assert!(!String::from_utf8(URL_SAFE_NO_PAD.decode(&cursor).unwrap()).unwrap().contains("Smith"));
        assert!(decode_cursor::<Uuid>("not a cursor!").is_err());
        assert!(decode_cursor::<Uuid>(&encode_cursor(&("Smith", 42))).is_err());
    }
}
