//! A tiny ustar writer: build contexts in memory, and a generated tar stream of one big file of
//! zeros that is never held in memory (for the constant-memory upload test).

use std::io::{self, Read};

const BLOCK: usize = 512;

/// A ustar header for a regular file (`typeflag` `b'0'`) or directory (`b'5'`).
/// `name` must be shorter than 100 bytes.
pub fn header(name: &str, size: u64, mode: u32, typeflag: u8) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    assert!(name.len() < 100, "tar name too long: {name}");
    put(0, name.as_bytes());
    put(100, format!("{mode:07o}\0").as_bytes());
    put(108, b"0000000\0"); // uid
    put(116, b"0000000\0"); // gid
    put(124, format!("{size:011o}\0").as_bytes());
    put(136, format!("{:011o}\0", 1_704_067_200u64).as_bytes()); // 2024-01-01
    put(148, b"        "); // checksum placeholder: spaces while summing
    put(156, &[typeflag]);
    put(257, b"ustar\0");
    put(263, b"00");
    put(265, b"root");
    put(297, b"root");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// An in-memory tar archive.
#[derive(Debug, Default)]
pub struct TarBuilder {
    out: Vec<u8>,
}

impl TarBuilder {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a regular file (mode 0644).
    pub fn file(mut self, name: &str, data: &[u8]) -> Self {
        self.out
            .extend_from_slice(&header(name, data.len() as u64, 0o644, b'0'));
        self.out.extend_from_slice(data);
        self.out
            .resize(self.out.len() + padding(data.len() as u64), 0);
        self
    }

    /// The archive, with its two zero end blocks.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.resize(self.out.len() + 2 * BLOCK, 0);
        self.out
    }
}

/// A tar stream holding one file of `size` zero bytes, generated as it is read: memory use is
/// one header, whatever the size.
#[derive(Debug)]
pub struct ZeroFileTar {
    header: [u8; BLOCK],
    /// Total length of the stream: header, data, padding, two end blocks.
    total: u64,
    pos: u64,
}

impl ZeroFileTar {
    /// A stream with one file `name` of `size` zeros.
    pub fn new(name: &str, size: u64) -> Self {
        let total = BLOCK as u64 + size + padding(size) as u64 + 2 * BLOCK as u64;
        ZeroFileTar {
            header: header(name, size, 0o644, b'0'),
            total,
            pos: 0,
        }
    }

    /// The stream's total length in bytes.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True for a stream of no bytes (never: there is always a header).
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl Read for ZeroFileTar {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let left = self.total - self.pos;
        let n = (out.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        let out = &mut out[..n];
        out.fill(0);
        if self.pos < BLOCK as u64 {
            let start = self.pos as usize;
            let k = (BLOCK - start).min(n);
            out[..k].copy_from_slice(&self.header[start..start + k]);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_tar_is_framed() {
        let mut t = ZeroFileTar::new("zeros", 1000);
        let mut all = Vec::new();
        t.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, t.len());
        assert_eq!(all.len(), 512 + 1024 + 1024);
        assert_eq!(&all[257..262], b"ustar");
        assert!(all[512..].iter().all(|&b| b == 0));
        let built = TarBuilder::new().file("a", b"xyz").finish();
        assert_eq!(built.len(), 512 + 512 + 1024);
        assert_eq!(&built[512..515], b"xyz");
    }
}
