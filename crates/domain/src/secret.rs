//! Values that must never reach a log: tokens, keys, passwords in URLs.

use std::fmt;

/// A secret string. `Debug` prints `Secret(***)`; the value is read with [`Secret::expose`]
/// where it is really needed (and serialized as itself where it is the answer, like a
/// login token).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn p4_secrets_do_not_print() {
        let s = super::Secret::new("abc123");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(***))");
        assert_eq!(s.expose(), "abc123");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"abc123\"")
        );
    }
}
