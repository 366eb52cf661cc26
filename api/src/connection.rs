//! Relay connections in GraphQL: `PageInfo`, the `<Name>Connection`/`<Name>Edge` types over a
//! domain page (`domain::pagination::Page`), and what a list costs in the complexity limit.

use domain::pagination::DEFAULT_PAGE_SIZE;

/// Complexity of a list field: its page size times the cost of one item (the default page size
/// when `first` is absent, so that an unbounded-looking query is still priced).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE as usize, |n| usize::try_from(n).unwrap_or(0));
    size.saturating_mul(child_complexity).max(1)
}

// Where a page stands in its list.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl From<&domain::pagination::PageInfo> for PageInfo {
    fn from(info: &domain::pagination::PageInfo) -> Self {
        Self {
            has_next_page: info.has_next_page,
            has_previous_page: info.has_previous_page,
            start_cursor: info.start_cursor.clone(),
            end_cursor: info.end_cursor.clone(),
        }
    }
}

/// Declares `<Name>Connection` and `<Name>Edge` GraphQL types for a node type.
#[macro_export]
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $connection(pub domain::pagination::Page<$node>);

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

            async fn page_info(&self) -> $crate::connection::PageInfo {
                (&self.0.page_info).into()
            }

            /// How many items the whole list holds (counted only when asked for).
            async fn total_count(&self) -> $crate::error::ApiResult<u64> {
                Ok(self.0.total.get().await?)
            }
        }
    };
}
