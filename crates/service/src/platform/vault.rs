//! Personal data at rest (P4): ID and phone numbers are encrypted with SM4 in GCM mode
//! (RFC 8998) and found through a blind index, an HMAC-SM3 of the normalized value under a
//! key derived from the same secret. The key never appears in `Debug` output or logs.
//!
//! A vault holds one key that encrypts (the current key) and, during a key rotation, older
//! keys that only decrypt. Every ciphertext names the key that made it (`sm4gcm2:<key
//! id>:…`), so a rotation knows what is left to re-encrypt, and a lookup by blind index asks
//! for the index under every key held, so that finding a person works while rows are being
//! moved from one key to the other.

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::Sm4;

use crate::{Error, Result};

type Sm4Gcm = AesGcm<Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

/// The first stored form: no key id (read with every key held; rotation rewrites it).
const LEGACY_PREFIX: &str = "sm4gcm1:";
/// The stored form: `sm4gcm2:` + 8 hex characters of key id + `:` + nonce and sealed text.
pub const PREFIX: &str = "sm4gcm2:";
/// Length of a key id in hex characters.
pub const KEY_ID_LEN: usize = 8;

struct Key {
    id: String,
    cipher: Sm4Gcm,
    index_key: Vec<u8>,
}

pub struct Vault {
    /// The current key first, then the older keys still read during a rotation.
    keys: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSm3 as hmac::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

impl Key {
    fn from_hex(key_hex: &str) -> Result<Self> {
        let key = hex::decode(key_hex.trim())
            .ok()
            .filter(|k| k.len() == 16)
            .ok_or_else(|| Error::Internal("个人信息加密密钥应为32位十六进制字符".into()))?;
        let cipher = Sm4Gcm::new_from_slice(&key)
            .map_err(|_| Error::Internal("个人信息加密密钥无效".into()))?;
        Ok(Self {
            id: hex::encode(hmac(&key, b"kehou key id v1"))[..KEY_ID_LEN].to_string(),
            cipher,
            index_key: hmac(&key, b"kehou blind index v1"),
        })
    }

    fn index(&self, value: &str) -> String {
        hex::encode(hmac(
            &self.index_key,
            value.trim().to_uppercase().as_bytes(),
        ))
    }

    fn open(&self, sealed_hex: &str) -> Option<String> {
        let bytes = hex::decode(sealed_hex).ok().filter(|b| b.len() > 12)?;
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = self
            .cipher
            .decrypt(&Nonce::<Sm4Gcm>::from(nonce), sealed)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// The key id a stored value names, if it is in the current form.
pub fn key_id_of(stored: &str) -> Option<&str> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (id, _) = rest.split_once(':')?;
    (id.len() == KEY_ID_LEN).then_some(id)
}

impl Vault {
    /// A new random key, as the 32 hex characters the configuration holds.
    pub fn generate_key() -> String {
        let mut key = [0u8; 16];
        rand::rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    /// The id of a key (32 hex characters): what ciphertexts, backups and messages name.
    pub fn key_id(key_hex: &str) -> Result<String> {
        Ok(Key::from_hex(key_hex)?.id)
    }

    /// Opens a vault from a 128-bit key written as 32 hex characters.
    pub fn from_hex(key_hex: &str) -> Result<Self> {
        Self::with_keys(key_hex, &[])
    }

    /// A vault that encrypts with `current` and also reads what `older` keys encrypted:
    /// the configuration during a key rotation.
    pub fn with_keys(current: &str, older: &[&str]) -> Result<Self> {
        let mut keys = vec![Key::from_hex(current)?];
        for k in older {
            let key = Key::from_hex(k)?;
            if keys.iter().any(|held| held.id == key.id) {
                return Err(Error::Internal(format!(
                    "密钥 {} 配置了两次 / key {} is configured twice",
                    key.id, key.id
                )));
            }
            keys.push(key);
        }
        Ok(Self { keys })
    }

    fn current(&self) -> &Key {
        &self.keys[0]
    }

    /// The id of the key that encrypts.
    pub fn current_key_id(&self) -> &str {
        &self.current().id
    }

    /// The ids of every key held, the current one first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Encrypts with a fresh random nonce: the same value never encrypts the same way twice.
    pub fn encrypt(&self, plain: &str) -> Result<String> {
        let key = self.current();
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(&Nonce::<Sm4Gcm>::from(nonce), plain.as_bytes())
            .map_err(|_| Error::Internal("加密失败".into()))?;
        Ok(format!(
            "{PREFIX}{}:{}{}",
            key.id,
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Decrypts what [`Vault::encrypt`] wrote with any key held; a key not held, a wrong
    /// key or altered data is an error.
    pub fn decrypt(&self, stored: &str) -> Result<String> {
        let broken = || Error::Internal("个人信息密文无法解密（密钥不符或数据被改动）".into());
        if let Some(id) = key_id_of(stored) {
            let key = self.keys.iter().find(|k| k.id == id).ok_or_else(|| {
                Error::Internal(format!(
                    "个人信息由密钥 {id} 加密，但未配置该密钥 / encrypted with key {id}, which is not configured"
                ))
            })?;
            let sealed = &stored[PREFIX.len() + KEY_ID_LEN + 1..];
            return key.open(sealed).ok_or_else(broken);
        }
        let sealed = stored.strip_prefix(LEGACY_PREFIX).ok_or_else(broken)?;
        self.keys
            .iter()
            .find_map(|k| k.open(sealed))
            .ok_or_else(broken)
    }

    /// Whether a stored value is encrypted with the current key (nothing left to rotate).
    pub fn is_current(&self, stored: &str) -> bool {
        key_id_of(stored) == Some(self.current_key_id())
    }

    /// The blind index of a value under the current key, as new rows store it: equal
    /// values give equal indexes, nothing else can be read from it. Values are compared
    /// upper-case and without surrounding spaces.
    pub fn blind_index(&self, value: &str) -> String {
        self.current().index(value)
    }

    /// The blind index of a value under every key held, the current one first: what a
    /// lookup asks for, since a row not yet rotated carries an older key's index.
    pub fn blind_indexes(&self, value: &str) -> Vec<String> {
        self.keys.iter().map(|k| k.index(value)).collect()
    }

    /// A secret for `purpose` derived from every key held, with that key's id, the current
    /// one first: stable across restarts and instances, unknown outside the installation,
    /// and switched by a key rotation like the data (an older key's secret still verifies
    /// while that key is held).
    pub fn derived_secrets(&self, purpose: &str) -> Vec<(String, Vec<u8>)> {
        self.keys
            .iter()
            .map(|k| (k.id.clone(), k.index(purpose).into_bytes()))
            .collect()
    }

    /// Whether `index` (as stored) is the blind index of `value` under a key held.
    pub fn index_matches(&self, value: &str, index: &str) -> bool {
        self.keys.iter().any(|k| k.index(value) == index)
    }

    /// The phone number of an account in clear; empty if it cannot be decrypted (a wrong
    /// key), which shows as a blank rather than failing the whole page.
    pub fn account_phone(&self, u: &kehou_store::entity::identity::user::Model) -> String {
        u.phone_enc
            .as_deref()
            .and_then(|enc| self.decrypt(enc).ok())
            .unwrap_or_default()
    }

    /// The phone number of an account as lists, details and exports show it: `138****0006`;
    /// empty if it cannot be decrypted.
    pub fn masked_account_phone(&self, u: &kehou_store::entity::identity::user::Model) -> String {
        kehou_domain::Phone::parse(&self.account_phone(u))
            .map(|p| p.masked())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p4_round_trip_and_randomized() {
        let vault = Vault::from_hex(&Vault::generate_key()).expect("vault");
        let a = vault.encrypt("11010519491231002X").expect("encrypt");
        let b = vault.encrypt("11010519491231002X").expect("encrypt");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(
            !a.contains("1101051949"),
            "no plain text in the stored form"
        );
        assert_eq!(vault.decrypt(&a).expect("decrypt"), "11010519491231002X");
    }

    #[test]
    fn p4_wrong_key_and_tampering_are_detected() {
        let vault = Vault::from_hex(&Vault::generate_key()).expect("vault");
        let other = Vault::from_hex(&Vault::generate_key()).expect("vault");
        let sealed = vault.encrypt("13800000007").expect("encrypt");
        assert!(other.decrypt(&sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered
            .pop()
            .map(|c| if c == '0' { '1' } else { '0' })
            .expect("char");
        tampered.push(last);
        assert!(vault.decrypt(&tampered).is_err());
        assert!(vault.decrypt("plain text").is_err());
    }

    #[test]
    fn p4_blind_index_finds_equal_values_only() {
        let key = Vault::generate_key();
        let vault = Vault::from_hex(&key).expect("vault");
        assert_eq!(
            vault.blind_index("11010519491231002x "),
            vault.blind_index("11010519491231002X")
        );
        assert_ne!(
            vault.blind_index("13800000007"),
            vault.blind_index("13800000008")
        );
        assert_eq!(
            Vault::from_hex(&key)
                .expect("same key")
                .blind_index("13800000007"),
            vault.blind_index("13800000007")
        );
        assert_ne!(
            Vault::from_hex(&Vault::generate_key())
                .expect("vault")
                .blind_index("13800000007"),
            vault.blind_index("13800000007")
        );
    }

    #[test]
    fn p4_keys_are_checked_and_never_printed() {
        assert!(Vault::from_hex("abc").is_err());
        assert!(Vault::from_hex(&"zz".repeat(16)).is_err());
        let key = Vault::generate_key();
        assert_eq!(key.len(), 32);
        assert_eq!(
            format!("{:?}", Vault::from_hex(&key).expect("vault")),
            "Vault(***)"
        );
    }

    #[test]
    fn p4_ciphertexts_name_their_key_and_older_keys_still_read() {
        let (old, new) = (Vault::generate_key(), Vault::generate_key());
        let before = Vault::from_hex(&old).expect("vault");
        let sealed = before.encrypt("13800000007").expect("encrypt");
        let old_id = Vault::key_id(&old).expect("id");
        assert_eq!(key_id_of(&sealed), Some(old_id.as_str()));
        assert!(before.is_current(&sealed));

        // Only the new key: the old ciphertext names a key that is not held.
        let only_new = Vault::from_hex(&new).expect("vault");
        let err = only_new.decrypt(&sealed).expect_err("old key missing");
        assert!(err.to_string().contains(&old_id), "{err}");

        // During a rotation both are read, new values use the new key, and a lookup asks
        // for both indexes.
        let during = Vault::with_keys(&new, &[&old]).expect("vault");
        assert_eq!(during.decrypt(&sealed).expect("old read"), "13800000007");
        assert!(!during.is_current(&sealed));
        let fresh = during.encrypt("13800000007").expect("encrypt");
        assert_eq!(key_id_of(&fresh), Some(during.current_key_id()));
        assert_eq!(during.key_ids(), vec![during.current_key_id(), &old_id]);
        let indexes = during.blind_indexes("13800000007");
        assert_eq!(indexes[0], only_new.blind_index("13800000007"));
        assert_eq!(indexes[1], before.blind_index("13800000007"));
        assert!(during.index_matches("13800000007", &before.blind_index("13800000007")));
        assert!(!only_new.index_matches("13800000007", &before.blind_index("13800000007")));
        assert!(Vault::with_keys(&new, &[&new]).is_err(), "a key twice");
    }

    #[test]
    fn p4_first_form_without_key_id_is_still_read() {
        let key = Vault::generate_key();
        let vault = Vault::from_hex(&key).expect("vault");
        let current = vault.encrypt("11010519491231002X").expect("encrypt");
        // The first form was `sm4gcm1:` + nonce and sealed text, under the same cipher.
        let legacy = format!("sm4gcm1:{}", &current[PREFIX.len() + KEY_ID_LEN + 1..]);
        assert_eq!(
            vault.decrypt(&legacy).expect("legacy"),
            "11010519491231002X"
        );
        assert!(!vault.is_current(&legacy));
        assert_eq!(key_id_of(&legacy), None);
    }
}
