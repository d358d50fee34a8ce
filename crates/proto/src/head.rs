//! (in progress)
/// (in progress)
#[derive(Debug)]
pub struct Head<'a>(&'a [u8]);
/// (in progress)
pub struct Header;
/// (in progress)
pub struct Headers;
/// (in progress)
pub enum BodyKind {}
/// (in progress)
pub enum Version {}
