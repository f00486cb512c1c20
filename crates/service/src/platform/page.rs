//! Pagination of every list: `page` from 1, `page_size` up to 100.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl PageRequest {
    pub const MAX_SIZE: u64 = 100;
    pub const DEFAULT_SIZE: u64 = 20;
    /// Exports read every matching row, in pages of this size.
    pub const EXPORT_SIZE: u64 = 10_000;

    pub fn new(page: Option<u64>, page_size: Option<u64>) -> crate::Result<Self> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(Self::DEFAULT_SIZE);
        if page == 0 {
            return Err(crate::Error::invalid("page", "页码从1开始"));
        }
        if page_size == 0 || page_size > Self::MAX_SIZE {
            return Err(crate::Error::invalid(
                "page_size",
                format!("每页条数须在1到{}之间", Self::MAX_SIZE),
            ));
        }
        Ok(Self { page, page_size })
    }

    /// Everything, for exports.
    pub fn all() -> Self {
        Self {
            page: 1,
            page_size: Self::EXPORT_SIZE,
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: Self::DEFAULT_SIZE,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.page_size).max(1)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }
}
