//! Big- and little-endian integers on byte slices, the one copy the codecs share.
//!
//! The readers take the first bytes of a slice and panic when it is shorter (the callers have
//! checked the length, as with indexing); the writers store into the first bytes of `out` and
//! return how many they wrote, or `None` (writing nothing) when `out` is too short.

/// The first 2 bytes as a big-endian `u16`.
#[inline]
pub fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// The first 3 bytes as a big-endian 24-bit value.
#[inline]
pub fn be24(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

/// The first 4 bytes as a big-endian `u32`.
#[inline]
pub fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The first 4 bytes as a little-endian `u32` (the chunk stream's message stream id).
#[inline]
pub fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The first 8 bytes as a big-endian IEEE double (AMF numbers).
#[inline]
pub fn be_f64(b: &[u8]) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    f64::from_be_bytes(a)
}

/// Stores `v` big-endian in `out[..2]`.
#[inline]
pub fn put_be16(out: &mut [u8], v: u16) -> Option<usize> {
    out.get_mut(..2)?.copy_from_slice(&v.to_be_bytes());
    Some(2)
}

/// Stores the low 24 bits of `v` big-endian in `out[..3]`.
#[inline]
pub fn put_be24(out: &mut [u8], v: u32) -> Option<usize> {
    out.get_mut(..3)?.copy_from_slice(&v.to_be_bytes()[1..]);
    Some(3)
}

/// Stores `v` big-endian in `out[..4]`.
#[inline]
pub fn put_be32(out: &mut [u8], v: u32) -> Option<usize> {
    out.get_mut(..4)?.copy_from_slice(&v.to_be_bytes());
    Some(4)
}

/// Stores `v` little-endian in `out[..4]`.
#[inline]
pub fn put_le32(out: &mut [u8], v: u32) -> Option<usize> {
    out.get_mut(..4)?.copy_from_slice(&v.to_le_bytes());
    Some(4)
}

/// Stores `v` as a big-endian IEEE double in `out[..8]`.
#[inline]
pub fn put_be_f64(out: &mut [u8], v: f64) -> Option<usize> {
    out.get_mut(..8)?.copy_from_slice(&v.to_be_bytes());
    Some(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut b = [0u8; 8];
        assert_eq!(put_be16(&mut b, 0x0102), Some(2));
        assert_eq!((b[..2].to_vec(), be16(&b)), (vec![1, 2], 0x0102));
        assert_eq!(put_be24(&mut b, 0xAA01_0203), Some(3));
        assert_eq!((b[..3].to_vec(), be24(&b)), (vec![1, 2, 3], 0x01_0203));
        assert_eq!(put_be32(&mut b, 0x0102_0304), Some(4));
        assert_eq!(be32(&b), 0x0102_0304);
        assert_eq!(put_le32(&mut b, 0x0102_0304), Some(4));
        assert_eq!((b[..4].to_vec(), le32(&b)), (vec![4, 3, 2, 1], 0x0102_0304));
        assert_eq!(put_be_f64(&mut b, 1.5), Some(8));
        assert_eq!(be_f64(&b), 1.5);
    }

    #[test]
    fn short_outputs_are_left_alone() {
        let mut b = [9u8; 3];
        assert_eq!(put_be32(&mut b, 1), None);
        assert_eq!(put_le32(&mut b, 1), None);
        assert_eq!(put_be_f64(&mut b, 1.0), None);
        assert_eq!(put_be16(&mut b[..1], 1), None);
        assert_eq!(b, [9, 9, 9]);
    }
}
