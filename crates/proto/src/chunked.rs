//! (in progress)
/// Chunked decoder (in progress).
#[derive(Debug, Default)]
pub struct ChunkedDecoder {}
/// Chunked events (in progress).
#[derive(Debug)]
pub enum ChunkedEvent {}
