//! Crypto-currency addresses, verified by their checksums: a string that
//! looks like a wallet but fails its checksum is a typo, a decoy or a
//! random token, not an address anyone can pay.
//!
//! The encodings are the crates' (`bs58` for base58check, `bech32` for
//! BIP-173/350 segwit addresses, `sha3` for the Keccak-256 of EIP-55);
//! only the choice of which encoding a string must pass is ours.

use serde::Serialize;

/// The chain a wallet address belongs to, named by its ticker.
///
/// # Example
///
/// ```
/// use scamscan::indicators::Chain;
/// assert_eq!(Chain::Tron.as_str(), "trx");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Chain {
    /// Bitcoin: base58check (`1…`, `3…`) or bech32/bech32m (`bc1…`).
    #[serde(rename = "btc")]
    Bitcoin,
    /// Ethereum and the EVM chains that share its addresses (`0x…`).
    #[serde(rename = "eth")]
    Ethereum,
    /// Tron (`T…`), where most USDT of scam payments moves.
    #[serde(rename = "trx")]
    Tron,
    /// Litecoin: base58check (`L…`, `M…`) or bech32 (`ltc1…`).
    #[serde(rename = "ltc")]
    Litecoin,
    /// Dogecoin: base58check (`D…`, `9…`, `A…`).
    #[serde(rename = "doge")]
    Dogecoin,
    /// XRP Ledger: base58check in the Ripple alphabet (`r…`).
    #[serde(rename = "xrp")]
    Ripple,
    /// Solana: base58 of a 32-byte key. It has no checksum, so it is
    /// taken only where the message names Solana or SOL.
    #[serde(rename = "sol")]
    Solana,
}

impl Chain {
    /// The ticker used in output: `btc`, `eth`, `trx`, `ltc`, `doge`, `xrp`, `sol`.
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Bitcoin => "btc",
            Chain::Ethereum => "eth",
            Chain::Tron => "trx",
            Chain::Litecoin => "ltc",
            Chain::Dogecoin => "doge",
            Chain::Ripple => "xrp",
            Chain::Solana => "sol",
        }
    }
}

/// The chain of `address` when its checksum holds, else `None`.
///
/// * Bitcoin legacy and P2SH: base58check, version byte 0x00 or 0x05, a
///   20-byte hash; segwit: bech32 (version 0) or bech32m (versions 1 to
///   16), prefix `bc`, all one case (BIP-173, BIP-350);
/// * Ethereum: `0x` and 40 hex digits; when they mix upper and lower case,
///   the case must spell the EIP-55 checksum (all one case carries none);
/// * Tron: base58check, version byte 0x41;
/// * Litecoin (0x30, 0x32, or bech32 `ltc`), Dogecoin (0x1e, 0x16) and XRP
///   (version 0 in the Ripple alphabet): base58check.
///
/// Solana keys have no checksum and are never returned here (see
/// [`Chain::Solana`]).
///
/// ```
/// use scamscan::indicators::{wallet_chain, Chain};
/// assert_eq!(wallet_chain("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), Some(Chain::Bitcoin));
/// assert_eq!(wallet_chain("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), Some(Chain::Bitcoin));
/// assert_eq!(wallet_chain("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Some(Chain::Ethereum));
/// assert_eq!(wallet_chain("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Some(Chain::Tron));
/// assert_eq!(wallet_chain("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"), Some(Chain::Ripple));
/// // One character changed: the checksum fails.
/// assert_eq!(wallet_chain("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), None);
/// assert_eq!(wallet_chain("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), None);
/// ```
pub fn wallet_chain(address: &str) -> Option<Chain> {
    let b = address.as_bytes();
    if b.len() == 42 && (address.starts_with("0x") || address.starts_with("0X")) {
        return eip55(&address[2..]).then_some(Chain::Ethereum);
    }
    if !(25..=90).contains(&b.len()) || !address.is_ascii() {
        return None;
    }
    let lower = address.to_ascii_lowercase();
    if lower.starts_with("bc1") {
        return segwit(address, bech32::hrp::BC).then_some(Chain::Bitcoin);
    }
    if lower.starts_with("ltc1") {
        return segwit(address, bech32::Hrp::parse_unchecked("ltc")).then_some(Chain::Litecoin);
    }
    if b.len() > 35 {
        return None;
    }
    if b[0] == b'r'
        && let Some(0x00) = base58check(address, bs58::Alphabet::RIPPLE)
    {
        return Some(Chain::Ripple);
    }
    match base58check(address, bs58::Alphabet::BITCOIN)? {
        0x00 | 0x05 => Some(Chain::Bitcoin),
        0x41 => Some(Chain::Tron),
        0x30 | 0x32 => Some(Chain::Litecoin),
        0x1e | 0x16 => Some(Chain::Dogecoin),
        _ => None,
    }
}

/// True when `address` is base58 (Bitcoin alphabet) of exactly 32 bytes,
/// the form of a Solana public key.
pub(super) fn solana_like(address: &str) -> bool {
    (32..=44).contains(&address.len())
        && bs58::decode(address)
            .into_vec()
            .is_ok_and(|v| v.len() == 32)
}

/// The version byte of a base58check string of a version byte and a
/// 20-byte hash.
fn base58check(s: &str, alphabet: &bs58::Alphabet) -> Option<u8> {
    match bs58::decode(s)
        .with_alphabet(alphabet)
        .with_check(None)
        .into_vec()
    {
        // The decoded bytes are the version byte and the payload (the
        // checksum is verified and dropped).
        Ok(v) if v.len() == 21 => Some(v[0]),
        _ => None,
    }
}

/// A segwit address with prefix `hrp` and a valid checksum of the kind its
/// witness version requires.
fn segwit(s: &str, hrp: bech32::Hrp) -> bool {
    match bech32::segwit::decode(s) {
        Ok((h, _, _)) => h == hrp,
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
            (
                "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                Chain::Ethereum,
            ),
            (
                "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                Chain::Ethereum,
            ),
            (
                "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
                Chain::Ethereum,
            ),
            (
                "0x52908400098527886e0f7030069857d2e4169ee7",
                Chain::Ethereum,
            ),
            (
                "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                Chain::Ethereum,
            ),
            ("TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", Chain::Tron),
            ("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", Chain::Ripple),
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
