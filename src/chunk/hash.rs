//! `Hash`: the 20-byte address of a chunk, and its 32-character base32 text form.

use std::fmt;
use std::str::FromStr;

/// Bytes in a hash: BLAKE3's output truncated to 160 bits.
pub const HASH_BYTES: usize = 20;
/// Characters in a hash's text form: 160 bits at 5 bits per character.
pub const HASH_TEXT_CHARS: usize = 32;

/// Dolt's base32 alphabet: digits then `a`..`v`, so text order equals byte order.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

/// The address of a chunk: the first 20 bytes of the BLAKE3 hash of its bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Hash([u8; HASH_BYTES]);

impl std::hash::Hash for Hash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The bytes are already uniformly distributed, so eight of them index a table as well
        // as all twenty would.
        state.write_u64(u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes")));
    }
}

/// A hasher for tables keyed by [`Hash`]: it passes the address's first eight bytes through
/// instead of hashing them again.
#[derive(Default)]
pub struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `Hash` keys belong in these tables; fold anything else in rather than fail.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

/// A map keyed by chunk addresses.
pub type AddressMap<V> =
    std::collections::HashMap<Hash, V, std::hash::BuildHasherDefault<AddressHasher>>;
/// A set of chunk addresses.
pub type AddressSet = std::collections::HashSet<Hash, std::hash::BuildHasherDefault<AddressHasher>>;

impl Hash {
    /// The all-zero hash. No chunk has it in practice; formats use it to mean "none".
    pub const ZERO: Hash = Hash([0; HASH_BYTES]);

    /// Hashes `data`.
    pub fn of(data: &[u8]) -> Hash {
        let full = blake3::hash(data);
        let mut out = [0u8; HASH_BYTES];
        out.copy_from_slice(&full.as_bytes()[..HASH_BYTES]);
        Hash(out)
    }

    pub const fn from_bytes(bytes: [u8; HASH_BYTES]) -> Hash {
        Hash(bytes)
    }

    /// Reads a hash from the first 20 bytes of `bytes`; `None` if there are fewer.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        let array: [u8; HASH_BYTES] = bytes.get(..HASH_BYTES)?.try_into().ok()?;
        Some(Hash(array))
    }

    pub const fn as_bytes(&self) -> &[u8; HASH_BYTES] {
        &self.0
    }

    /// Parses the 32-character text form.
    pub fn parse(text: &str) -> Result<Hash, ParseHashError> {
        let text = text.as_bytes();
        if text.len() != HASH_TEXT_CHARS {
            return Err(ParseHashError::Length(text.len()));
        }
        let mut out = [0u8; HASH_BYTES];
        let mut bit = 0usize;
        for (position, &c) in text.iter().enumerate() {
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'v' => c - b'a' + 10,
                _ => return Err(ParseHashError::Character { position }),
            };
            for shift in (0..5).rev() {
                if (digit >> shift) & 1 == 1 {
                    out[bit / 8] |= 0x80 >> (bit % 8);
                }
                bit += 1;
            }
        }
        Ok(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; HASH_TEXT_CHARS];
        for (i, slot) in text.iter_mut().enumerate() {
            let mut digit = 0u8;
            for bit in i * 5..i * 5 + 5 {
                digit = (digit << 1) | ((self.0[bit / 8] >> (7 - bit % 8)) & 1);
            }
            *slot = ALPHABET[digit as usize];
        }
        // The alphabet is ASCII, so this cannot fail.
        f.write_str(std::str::from_utf8(&text).expect("base32 alphabet is ASCII"))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{self}")
    }
}

impl FromStr for Hash {
    type Err = ParseHashError;
    fn from_str(text: &str) -> Result<Hash, ParseHashError> {
        Hash::parse(text)
    }
}

/// Why a hash's text form did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseHashError {
    /// The text had this many characters instead of 32.
    Length(usize),
    /// The character at this position is not in the base32 alphabet.
    Character { position: usize },
}

impl fmt::Display for ParseHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseHashError::Length(n) => {
                write!(f, "a hash has {HASH_TEXT_CHARS} characters, not {n}")
            }
            ParseHashError::Character { position } => {
                write!(f, "character {position} of the hash is not base32 (0-9, a-v)")
            }
        }
    }
}

impl std::error::Error for ParseHashError {}
