//! SHA-1 (FIPS 180-4), only for the `Sec-WebSocket-Accept` value of the opening handshake
//! (RFC 6455 §4.2.2): a key of 24 base64 bytes and a fixed GUID, 60 bytes in all. It is not
//! used for anything where collision resistance matters.

/// The SHA-1 digest of the concatenation of `parts`.
pub(crate) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut block = [0u8; 64];
    let mut fill = 0usize;
    let mut total: u64 = 0;
    for part in parts {
        for &b in *part {
            if let Some(slot) = block.get_mut(fill) {
                *slot = b;
            }
            fill += 1;
            if fill == 64 {
                compress(&mut state, &block);
                fill = 0;
            }
        }
        total = total.wrapping_add(part.len() as u64);
    }
    // Padding: 0x80, zeros up to 56 bytes into a block, and the length in bits as a
    // big-endian u64.
    let bits = total.wrapping_mul(8);
    let zeros = (64 + 55 - fill) % 64;
    let mut tail = [0u8; 64 + 8];
    tail[0] = 0x80;
    let len_at = 1 + zeros;
    tail[len_at..len_at + 8].copy_from_slice(&bits.to_be_bytes());
    for &b in tail.get(..len_at + 8).unwrap_or(&[]) {
        if let Some(slot) = block.get_mut(fill) {
            *slot = b;
        }
        fill += 1;
        if fill == 64 {
            compress(&mut state, &block);
            fill = 0;
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (i, chunk) in block.chunks_exact(4).enumerate() {
        if let (Some(slot), Ok(bytes)) = (w.get_mut(i), <[u8; 4]>::try_from(chunk)) {
            *slot = u32::from_be_bytes(bytes);
        }
    }
    for i in 16..80 {
        let v = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        w[i] = v;
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (i, &wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}
