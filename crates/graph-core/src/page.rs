//! One page of a collection: the data type every pageable operation answers with. Its
//! envelope is decoded by [`decode::page`](crate::decode::page); following next links is
//! [`paging`](crate::paging)'s job.

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page (`value`).
    pub items: Vec<T>,
    /// The next page's URL (`@odata.nextLink`); `None` on the last page.
    pub next_link: Option<String>,
    /// The size of the whole collection (`@odata.count`), when `$count=true` was asked.
    pub count: Option<i64>,
    /// The link for changes from now on (`@odata.deltaLink`), on the last page of a delta query.
    pub delta_link: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items` and nothing else.
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            next_link: None,
            count: None,
            delta_link: None,
        }
    }

    /// Whether another page follows.
    pub fn has_next(&self) -> bool {
        self.next_link.is_some()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
