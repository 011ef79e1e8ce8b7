//! JSON text written by hand: strings escaped exactly as serde_json escapes them, numbers in
//! serde_json's form, and the parts of the `/v1/score` answer that depend only on the model in
//! force ([`Prerendered`], kept with it in `state::Serving`). `json_out` writes the answer with
//! these; serde_json's own writer escaped strings a byte at a time.

/// The parts of every `/v1/score` answer that depend only on the model in force and its
/// cutoff, written once when it is loaded (or its cutoff changes).
#[derive(Debug, Clone, Default)]
pub struct Prerendered {
    /// `"model_id":...,"cutoff":{...}`.
    pub head: Vec<u8>,
    /// For each factor group of the model, `{"field":"<name>","factor":"`.
    pub factor_heads: Vec<Vec<u8>>,
    /// The model's baseline log-odds, as written.
    pub baseline: Repeat,
}

/// A number as last written: the same bits again are copied, not formatted again (formatting
/// one costs ~170 instructions). One [`Slot`], on the stack: a `Vec` for its text cost two
/// allocations a single-lead answer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Repeat(Slot);

impl Repeat {
    /// `x` as already written: the model's baseline log-odds, the same in every answer
    /// ([`Prerendered::baseline`]), is formatted once per model.
    pub fn of(x: f64) -> Self {
        let mut r = Self::default();
        r.0.write(&mut Vec::new(), x);
        r
    }

    /// Writes `x` (copied when it is the number last written).
    #[inline]
    pub fn number(&mut self, out: &mut Vec<u8>, x: f64) {
        self.0.write(out, x);
    }
}

/// A number's bits and its text; `len` 0 is an empty slot (no number is written as nothing).
#[derive(Debug, Default, Clone, Copy)]
pub struct Slot {
    bits: u64,
    len: u8,
    text: [u8; 31],
}

impl Slot {
    /// Writes `x` to `out`: copied when this slot holds its bits, else formatted and kept here
    /// (in place of what the slot held).
    #[inline]
    pub fn write(&mut self, out: &mut Vec<u8>, x: f64) {
        let bits = x.to_bits();
        if self.len != 0 && self.bits == bits {
            out.extend_from_slice(&self.text[..usize::from(self.len)]);
            return;
        }
        let start = out.len();
        number(out, x);
        let text = &out[start..];
        if let Ok(len) = u8::try_from(text.len()) {
            if usize::from(len) <= self.text.len() {
                self.text[..text.len()].copy_from_slice(text);
                self.bits = bits;
                self.len = len;
            }
        }
    }
}

/// `{"field":"<name>","factor":"`: how every factor of field `name` starts.
pub fn factor_head(name: &str) -> Vec<u8> {
    let mut h = b"{\"field\":".to_vec();
    string(&mut h, name);
    h.extend_from_slice(b",\"factor\":\"");
    h
}

/// A number as serde_json writes an `f64` (shortest round-trip form; `null` when not finite).
pub fn number(out: &mut Vec<u8>, x: f64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &x);
}

/// A JSON string as serde_json writes it: copied as is when nothing in it needs escaping
/// (serde_json escapes only control characters, `"` and `\`), else escaped by serde_json.
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    string_contents(out, s);
    out.push(b'"');
}

/// A string's contents, escaped, without the quotes.
pub fn string_contents(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if needs_escape(b) {
        escaped(out, b);
    } else {
        out.extend_from_slice(b);
    }
}

/// Text written through it is appended to the answer as is (the caller escapes it after).
pub struct Raw<'o>(pub &'o mut Vec<u8>);

impl std::fmt::Write for Raw<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `b` escaped as serde_json escapes a string's contents: `\"`, `\\`, the short forms of
/// backspace, tab, newline, form feed and carriage return, `\u00XX` for the other control
/// characters; runs of other bytes copied whole (factor texts quote the lead's values, so
/// most of them hold a `"` or two).
pub fn escaped(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    // The runs between escaped bytes are found eight bytes at a time ([`escape_at`]), not a
    // byte at a time: a factor text quotes a value or two in ~35 bytes.
    while let Some(k) = escape_at(&b[start..]) {
        let i = start + k;
        let c = b[i];
        out.extend_from_slice(&b[start..i]);
        start = i + 1;
        let short = ESCAPE[usize::from(c)];
        if short == b'u' {
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[HEX[usize::from(c >> 4)], HEX[usize::from(c & 0xf)]]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
    }
    out.extend_from_slice(&b[start..]);
}

/// For each byte, what follows the backslash that escapes it (`u` for `\u00XX`), or 0 when it
/// is written as is: a table lookup a byte instead of a chain of comparisons.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = b'u';
        c += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether `b` holds a byte serde_json escapes (a control character, `"` or `\`).
pub fn needs_escape(b: &[u8]) -> bool {
    escape_at(b).is_some()
}

/// The position of the first byte serde_json escapes in `b` (a control character, `"` or
/// `\`), eight bytes at a time: the answer's strings are short (field names, factor texts)
/// and a per-byte loop over them cost ~180 instructions a string; the request reader
/// (`crate::lead`) finds where each string ends with it (a byte at a time that was half of
/// reading a lead).
pub fn escape_at(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte that is zero / below 0x20; the lowest one set is exact (bits
    // above it may be set by a borrow; Hacker's Delight 6-1).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let hits = (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .map(|k| at + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_escape_finds_every_escaped_byte_at_every_position() {
        for len in 0..40 {
            let plain: Vec<u8> = (0..len)
                .map(|i| b' ' + (i % 90) as u8)
                .map(|c| if c == b'"' || c == b'\\' { b'a' } else { c })
                .collect();
            assert!(!needs_escape(&plain), "{plain:?}");
            for at in 0..len {
                for bad in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut v = plain.clone();
                    v[at] = bad;
                    assert!(needs_escape(&v), "{v:?}");
                }
                // Bytes next to the escaped ones, and non-ASCII (UTF-8) bytes, are not.
                for ok in [0x20u8, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff] {
                    let mut v = plain.clone();
                    v[at] = ok;
                    assert!(!needs_escape(&v), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn escape_at_finds_the_first_quote_backslash_or_control() {
        for len in 0..30 {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(escape_at(&plain), None);
            for at in 0..len {
                for special in [b'"', b'\\', 0u8, 0x1f, b'\n'] {
                    let mut v = plain.clone();
                    v[at] = special;
                    // A second one after it does not move the answer.
                    if at + 1 < len {
                        v[at + 1] = b'"';
                    }
                    assert_eq!(escape_at(&v), Some(at), "{v:?}");
                }
                for ok in [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xc3, 0xff] {
                    let mut v = plain.clone();
                    v[at] = ok;
                    assert_eq!(escape_at(&v), None, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn strings_as_serde_writes_them() {
        let mut texts: Vec<String> = [
            "",
            "plain",
            "q\"uote",
            "back\\slash",
            "tab\t",
            "nl\n",
            "\u{1}",
            "caf\u{e9}",
            "\u{7f}",
            "/",
            "job_title = \"VP \\ Sales\" (vp)",
            "caf\u{e9} \u{1f600} \u{7f}",
            "\u{1}\u{1f}\"x",
        ]
        .map(String::from)
        .to_vec();
        // Every ASCII character alone and inside text, at each position of an 8-byte word.
        for c in (0u8..0x80).map(char::from) {
            texts.push(c.to_string());
            for at in 0..10 {
                texts.push(format!("{}{c}{}", "a".repeat(at), "b".repeat(9 - at)));
            }
        }
        for s in &texts {
            let mut ours = Vec::new();
            string(&mut ours, s);
            assert_eq!(ours, serde_json::to_vec(s).expect("json"), "{s:?}");
            // Escaping what was written (the factor texts' way) gives the same.
            let mut after = vec![b'"'];
            escaped(&mut after, s.as_bytes());
            after.push(b'"');
            assert_eq!(after, ours, "{s:?}");
        }
    }
}
