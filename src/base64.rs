//! Base64 encoding (RFC 4648, section 4: the standard alphabet, `=` padding), for digest ACL ids.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `data` in base64 with padding.
pub(crate) fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for group in data.chunks(3) {
        // Three bytes are four 6-bit digits; a short last group leaves `=` for the missing ones.
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for digit in 0..4 {
            if digit <= group.len() {
                out.push(ALPHABET[((n >> (18 - 6 * digit)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_test_vectors() {
        // RFC 4648, section 10.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn every_digit_and_high_bytes() {
        let all: Vec<u8> = (0..=255).collect();
        let e = encode(&all);
        assert_eq!(e.len(), 344);
        assert!(e.starts_with("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"), "{e}");
        assert!(e.ends_with("+/w=="), "{e}");
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "+/+/");
    }
}
