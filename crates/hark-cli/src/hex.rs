//! Hex input for `hark decode`.

/// Decodes hex digits, ignoring whitespace, `:` and a leading `0x`.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if digits.is_empty() {
        return Err("no hex digits given".to_string());
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).map_err(|_| "invalid hex digit".to_string())?;
            u8::from_str_radix(text, 16).map_err(|_| format!("invalid hex digits {text:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn accepts_separators_and_prefix() {
        assert_eq!(decode("0x41 02:ff"), Ok(vec![0x41, 0x02, 0xff]));
        assert!(decode("abc").is_err());
        assert!(decode("zz").is_err());
    }
}
