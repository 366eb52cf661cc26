//! Relay cursor connections. Cursors are opaque (base64 of the keyset values); every page is
//! bounded by `MAX_PAGE_SIZE`, and `totalCount` is counted only when a client asks for it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::error::{AppError, AppResult};

/// Complexity of a list field: its page size times the cost of one item (the default page size
/// when `first` is absent, so that an unbounded-looking query is still priced).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE as usize, |n| usize::try_from(n).unwrap_or(0));
    size.saturating_mul(child_complexity).max(1)
}

/// A validated request for one page.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    pub limit: u64,
    pub after: Option<K>,
}

impl<K: DeserializeOwned> PageRequest<K> {
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

#[derive(Debug, Clone, async_graphql::SimpleObject)]
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

    pub fn known(n: u64) -> Self {
        Self::new(move || Box::pin(async move { Ok(n) }))
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

/// Declares `<Name>Connection` and `<Name>Edge` GraphQL types for a node type.
#[macro_export]
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $connection(pub $crate::pagination::Page<$node>);

        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[async_graphql::Object]
        impl $connection {
            async fn edges(&self) -> Vec<$edge> {
                self.0.items.iter().map(|(cursor, node)| $edge { cursor: cursor.clone(), node: node.clone() }).collect()
            }

            /// The nodes of `edges`, for clients that do not need cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.0.items.iter().map(|(_, node)| node).collect()
            }

            async fn page_info(&self) -> &$crate::pagination::PageInfo {
                &self.0.page_info
            }

            /// How many items the whole list holds (counted only when asked for).
            async fn total_count(&self) -> async_graphql::Result<u64> {
                Ok(self.0.total.get().await?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_capped_and_explained() {
        assert_eq!(PageRequest::<String>::new(None, None).unwrap().limit, DEFAULT_PAGE_SIZE);
        assert_eq!(PageRequest::<String>::new(Some(100), None).unwrap().limit, 100);
        for bad in [0, -1, 101, i32::MAX] {
            let err = PageRequest::<String>::new(Some(bad), None).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = ("Smith".to_owned(), 7u32);
        let cursor = encode_cursor(&key);
        assert_eq!(decode_cursor::<(String, u32)>(&cursor).unwrap(), key);
        assert!(decode_cursor::<(String, u32)>("not a cursor!").is_err());
        assert!(decode_cursor::<(String, u32)>(&encode_cursor(&42)).is_err());
    }
}
