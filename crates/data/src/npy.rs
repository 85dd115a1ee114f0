//! The NPY array header (format versions 1.0–3.0, NEP 1 / numpy's `numpy.lib.format`): written
//! up front so samples can be placed at fixed offsets by positional writes, and parsed so single
//! samples can be read without loading a whole array.

use std::path::Path;

use crate::error::DataError;
use crate::Dtype;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The header of an NPY array: element type, C order and shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NpyHeader {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
}

/// An NPY header for any `descr` (e.g. `|u1` for bytes).
pub(crate) fn encode_raw(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.extend(std::iter::repeat_n(' ', pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(unpadded + pad);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // At most a few hundred bytes: the shape has a handful of axes.
    let len = u16::try_from(dict.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// The offset of the data after an NPY header of any dtype, if `bytes` starts with one.
pub(crate) fn payload_offset(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return None;
    }
    let end = match bytes[6] {
        1 => 10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]])),
        2 | 3 if bytes.len() >= 12 => {
            12 + u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
        }
        _ => return None,
    };
    (end <= bytes.len()).then_some(end)
}

impl NpyHeader {
    /// The encoded header (version 1.0; total length a multiple of 64 bytes, as numpy writes it).
    pub fn encode(&self) -> Vec<u8> {
        encode_raw(self.dtype.npy_descr(), &self.shape)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Parses a header from the start of `bytes`; returns it and the offset of the data.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<(Self, usize), DataError> {
        let bad = |reason: &str| DataError::malformed(path, format!("NPY header: {reason}"));
        if bytes.len() < 10 || &bytes[..6] != MAGIC {
            return Err(bad("missing magic string"));
        }
        let (len, start) = match bytes[6] {
            1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
            2 | 3 => {
                if bytes.len() < 12 {
                    return Err(bad("truncated"));
                }
                let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
                (n as usize, 12)
            }
            v => return Err(bad(&format!("unsupported version {v}"))),
        };
        let end = start + len;
        let text = bytes
            .get(start..end)
            .ok_or_else(|| bad("truncated"))
            .and_then(|b| std::str::from_utf8(b).map_err(|_| bad("not text")))?;
        let value_of = |key: &str| -> Option<&str> {
            let at = text.find(&format!("'{key}'"))? + key.len() + 2;
            let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
            Some(rest)
        };
        let descr = value_of("descr")
            .and_then(|r| r.strip_prefix('\''))
            .and_then(|r| r.split('\'').next())
            .ok_or_else(|| bad("no descr"))?;
        let dtype = Dtype::from_npy_descr(descr)
            .ok_or_else(|| bad(&format!("unsupported dtype '{descr}' (need <f4 or <f8)")))?;
        let fortran = value_of("fortran_order").ok_or_else(|| bad("no fortran_order"))?;
        if fortran.starts_with("True") {
            return Err(bad("Fortran order is not supported"));
        }
        let shape_text = value_of("shape")
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.split(')').next())
            .ok_or_else(|| bad("no shape"))?;
        let shape = shape_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((Self { dtype, shape }, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_alignment() {
        for shape in [vec![5], vec![3, 4], vec![2, 17, 64, 64]] {
            for dtype in [Dtype::F32, Dtype::F64] {
                let h = NpyHeader {
                    dtype,
                    shape: shape.clone(),
                };
                let bytes = h.encode();
                assert_eq!(bytes.len() % 64, 0);
                assert_eq!(*bytes.last().unwrap(), b'\n');
                let (back, off) = NpyHeader::parse(&bytes, Path::new("x")).unwrap();
                assert_eq!(back, h);
                assert_eq!(off, bytes.len());
            }
        }
    }

    #[test]
    fn numpy_written_header_parses() {
        // What numpy 1.x/2.x writes for np.save(f, np.zeros((2, 3), np.float32)).
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        let padded = format!("{dict:<117}\n");
        bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        bytes.extend_from_slice(padded.as_bytes());
        let (h, off) = NpyHeader::parse(&bytes, Path::new("x")).unwrap();
        assert_eq!(h.shape, vec![2, 3]);
        assert_eq!(h.dtype, Dtype::F32);
        assert_eq!(off, 128);
        assert!(NpyHeader::parse(b"garbage...", Path::new("x")).is_err());
    }
}
