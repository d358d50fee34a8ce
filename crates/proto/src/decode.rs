//! (in progress)
/// (in progress)
pub struct Decoded;
/// (in progress)
pub enum Event {}
/// (in progress)
pub struct Limits;
/// (in progress)
pub struct ResponseDecoder;
