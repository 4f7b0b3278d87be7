//! Crypto-currency addresses, verified by their checksums: a string that
//! looks like a wallet but fails its checksum is a typo, a decoy or a
//! random token, not an address anyone can pay.
//!
//! The encodings are the crates' (`bs58` for base58check, `bech32` for
//! BIP-173/350 segwit addresses, `sha3` for the Keccak-256 of EIP-55);
//! only the choice of which encoding a string must pass is ours.

use serde::Serialize;

/// The chain a wallet address belongs to.
///
/// # Example
///
/// ```
/// use scamscan::indicators::Chain;
/// assert_eq!(Chain::Tron.as_str(), "tron");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    /// Bitcoin: base58check (`1…`, `3…`) or bech32/bech32m (`bc1…`).
    Bitcoin,
    /// Ethereum and the EVM chains that share its addresses (`0x…`).
    Ethereum,
    /// Tron (`T…`), where most USDT of scam payments moves.
    Tron,
}

impl Chain {
    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Bitcoin => "bitcoin",
            Chain::Ethereum => "ethereum",
            Chain::Tron => "tron",
        }
    }
}

/// The chain of `address` when its checksum holds, else `None`.
///
/// * Bitcoin legacy and P2SH: base58check, version byte 0x00 or 0x05, a
///   20-byte hash;
/// * Bitcoin segwit: bech32 (version 0) or bech32m (versions 1 to 16), with
///   the `bc` prefix, all one case (BIP-173, BIP-350);
/// * Ethereum: `0x` and 40 hex digits; when they mix upper and lower case,
///   the case must spell the EIP-55 checksum (all one case carries none);
/// * Tron: base58check, version byte 0x41, a 20-byte hash.
///
/// ```
/// use scamscan::indicators::{wallet_chain, Chain};
/// assert_eq!(wallet_chain("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), Some(Chain::Bitcoin));
/// assert_eq!(wallet_chain("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), Some(Chain::Bitcoin));
/// assert_eq!(wallet_chain("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Some(Chain::Ethereum));
/// assert_eq!(wallet_chain("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Some(Chain::Tron));
/// // One character changed: the checksum fails.
/// assert_eq!(wallet_chain("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), None);
/// assert_eq!(wallet_chain("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), None);
/// ```
pub fn wallet_chain(address: &str) -> Option<Chain> {
    let b = address.as_bytes();
    if b.len() == 42 && (address.starts_with("0x") || address.starts_with("0X")) {
        return eip55(&address[2..]).then_some(Chain::Ethereum);
    }
    if address.len() >= 14 && address[..3].eq_ignore_ascii_case("bc1") {
        return segwit(address).then_some(Chain::Bitcoin);
    }
    match b.first() {
        Some(b'1' | b'3') if (25..=35).contains(&b.len()) => {
            base58check(address, &[0x00, 0x05]).then_some(Chain::Bitcoin)
        }
        Some(b'T') if b.len() == 34 => base58check(address, &[0x41]).then_some(Chain::Tron),
        _ => None,
    }
}

/// A base58check string of a version byte in `versions` and a 20-byte hash.
fn base58check(s: &str, versions: &[u8]) -> bool {
    match bs58::decode(s).with_check(None).into_vec() {
        // The decoded bytes are the version byte and the payload (the
        // checksum is verified and dropped).
        Ok(v) => v.len() == 21 && versions.contains(&v[0]),
        Err(_) => false,
    }
}

/// A segwit address of the Bitcoin main network with a valid checksum of
/// the kind its witness version requires.
fn segwit(s: &str) -> bool {
    match bech32::segwit::decode(s) {
        Ok((hrp, _, _)) => hrp == bech32::hrp::BC,
        Err(_) => false,
    }
}

/// 40 hex digits, with the EIP-55 checksum in their case when it is mixed.
fn eip55(hex: &str) -> bool {
    use sha3::{Digest, Keccak256};
    if hex.len() != 40 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let has_upper = hex.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|c| c.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return true;
    }
    let hash = Keccak256::digest(hex.to_ascii_lowercase().as_bytes());
    hex.bytes().enumerate().all(|(i, c)| {
        if c.is_ascii_digit() {
            return true;
        }
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        c.is_ascii_uppercase() == (nibble >= 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_addresses_pass_and_typos_fail() {
        let valid = [
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Chain::Bitcoin),
            ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Chain::Bitcoin),
            ("bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Chain::Bitcoin),
            ("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", Chain::Bitcoin),
            (
                "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
                Chain::Bitcoin,
            ),
            ("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Chain::Ethereum),
            ("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", Chain::Ethereum),
            ("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", Chain::Ethereum),
            ("0x52908400098527886e0f7030069857d2e4169ee7", Chain::Ethereum),
            ("0x8617E340B3D01FA5F11F306F4090FD50E238070D", Chain::Ethereum),
            ("TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", Chain::Tron),
        ];
        for (a, chain) in valid {
            assert_eq!(wallet_chain(a), Some(chain), "{a}");
        }
        for a in [
            // Case broken, a character changed or dropped, mixed-case bech32,
            // a segwit v0 address with the bech32m checksum, another network.
            "1a1zp1ep5qgefi2dmptftl5slmv7divfna",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wl",
            "bc1qAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d358",
            "0xfb6916095cA1df60bB79Ce92cE3Ea74c37c5d359",
            "0x",
            "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU8",
            "",
        ] {
            assert_eq!(wallet_chain(a), None, "{a}");
        }
    }
}
