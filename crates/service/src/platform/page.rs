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
    /// Exports and pickers read every matching row, in pages of this size ([`every`]).
    pub const EXPORT_SIZE: u64 = 1_000;
    /// Pages beyond this are refused: no list is that long, and the offset must fit.
    pub const MAX_PAGE: u64 = 1_000_000;

    pub fn new(page: Option<u64>, page_size: Option<u64>) -> crate::Result<Self> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(Self::DEFAULT_SIZE);
        if page == 0 {
            return Err(crate::Error::invalid("page", "页码从1开始"));
        }
        if page > Self::MAX_PAGE {
            return Err(crate::Error::invalid(
                "page",
                format!("页码不能超过{}", Self::MAX_PAGE),
            ));
        }
        if page_size == 0 || page_size > Self::MAX_SIZE {
            return Err(crate::Error::invalid(
                "page_size",
                format!("每页条数须在1到{}之间", Self::MAX_SIZE),
            ));
        }
        Ok(Self { page, page_size })
    }

    pub fn offset(&self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.page_size)
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

/// Every item of a paged list, read page after page: exports and pickers have no cap.
/// The answer is one page holding them all.
pub async fn every<T, F, Fut>(mut fetch: F) -> crate::Result<Page<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = crate::Result<Page<T>>>,
{
    let mut items = Vec::new();
    let mut page = 1;
    loop {
        let next = fetch(PageRequest {
            page,
            page_size: PageRequest::EXPORT_SIZE,
        })
        .await?;
        let got = next.items.len() as u64;
        items.extend(next.items);
        if got < PageRequest::EXPORT_SIZE || items.len() as u64 >= next.total {
            break;
        }
        page += 1;
    }
    let total = items.len() as u64;
    Ok(Page {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_reads_past_any_single_page() {
        let rows: Vec<u32> = (0..2_500).collect();
        let all = every(|p: PageRequest| {
            let rows = rows.clone();
            async move {
                let start = usize::try_from(p.offset())
                    .unwrap_or(usize::MAX)
                    .min(rows.len());
                let end = (start + p.page_size as usize).min(rows.len());
                Ok(Page {
                    items: rows[start..end].to_vec(),
                    total: rows.len() as u64,
                    page: p.page,
                    page_size: p.page_size,
                })
            }
        })
        .await
        .expect("pages");
        assert_eq!(all.items, rows);
        assert_eq!(all.total, 2_500);
    }
}
