//! Personal data at rest (P4): ID and phone numbers are encrypted with SM4 in GCM mode
//! (RFC 8998) and found through a blind index, an HMAC-SM3 of the normalized value under a
//! key derived from the same secret. The key never appears in `Debug` output or logs.

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

const PREFIX: &str = "sm4gcm1:";

pub struct Vault {
    cipher: Sm4Gcm,
    index_key: Vec<u8>,
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

impl Vault {
    /// A new random key, as the 32 hex characters the configuration holds.
    pub fn generate_key() -> String {
        let mut key = [0u8; 16];
        rand::rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Opens a vault from a 128-bit key written as 32 hex characters.
    pub fn from_hex(key_hex: &str) -> Result<Self> {
        let key = hex::decode(key_hex.trim())
            .ok()
            .filter(|k| k.len() == 16)
            .ok_or_else(|| Error::Internal("个人信息加密密钥应为32位十六进制字符".into()))?;
        let cipher = Sm4Gcm::new_from_slice(&key)
            .map_err(|_| Error::Internal("个人信息加密密钥无效".into()))?;
        let index_key = hmac(&key, b"kehou blind index v1");
        Ok(Self { cipher, index_key })
    }

    /// Encrypts with a fresh random nonce: the same value never encrypts the same way twice.
    pub fn encrypt(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&Nonce::<Sm4Gcm>::from(nonce), plain.as_bytes())
            .map_err(|_| Error::Internal("加密失败".into()))?;
        Ok(format!(
            "{PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Decrypts what [`Vault::encrypt`] wrote; a wrong key or altered data is an error.
    pub fn decrypt(&self, stored: &str) -> Result<String> {
        let broken = || Error::Internal("个人信息密文无法解密（密钥不符或数据被改动）".into());
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > 12)
            .ok_or_else(broken)?;
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| broken())?;
        let plain = self
            .cipher
            .decrypt(&Nonce::<Sm4Gcm>::from(nonce), sealed)
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }

    /// The blind index of a value: equal values give equal indexes, nothing else can be
    /// read from it. Values are compared upper-case and without surrounding spaces.
    pub fn blind_index(&self, value: &str) -> String {
        hex::encode(hmac(
            &self.index_key,
            value.trim().to_uppercase().as_bytes(),
        ))
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
}
