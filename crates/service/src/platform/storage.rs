//! Where uploaded files live. [`FileStore`] is the trait; [`LocalFolder`] the default, a
//! folder on this machine (beside the SQLite database, or configured). Keys are made here,
//! never from a user's input, so no name can reach outside the folder.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use rand::Rng;

use crate::{Error, Result};

pub type Stored<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A place to keep files by key.
pub trait FileStore: Send + Sync {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Stored<'a, ()>;
    fn get<'a>(&'a self, key: &'a str) -> Stored<'a, Vec<u8>>;
    fn delete<'a>(&'a self, key: &'a str) -> Stored<'a, ()>;
}

/// A new random key: 32 hexadecimal characters.
pub fn new_key() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

fn checked(key: &str) -> Result<&str> {
    if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(key)
    } else {
        Err(Error::Internal("无效的文件键".into()))
    }
}

/// Files in a folder, spread over 256 subfolders by the key's first two characters.
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        let key = checked(key)?;
        Ok(self.root.join(&key[..2]).join(key))
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(format!("文件存储出错：{e}"))
}

impl FileStore for LocalFolder {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Stored<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(io)?;
            }
            // Written aside, then renamed: a reader never sees half a file.
            let partial = path.with_extension("part");
            tokio::fs::write(&partial, bytes).await.map_err(io)?;
            tokio::fs::rename(&partial, &path).await.map_err(io)
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> Stored<'a, Vec<u8>> {
        Box::pin(async move {
            let path = self.path(key)?;
            tokio::fs::read(path).await.map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NotFound("文件"),
                _ => io(e),
            })
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> Stored<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            match tokio::fs::remove_file(path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            }
        })
    }
}
