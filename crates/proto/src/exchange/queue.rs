//! The fixed-capacity FIFO of outstanding requests.

use core::time::Duration;

use super::request::{Request, RequestBody, RequestId, CAPACITY};

/// One outstanding request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) id: RequestId,
    pub(crate) req: Request,
    /// The head deadline's duration, resolved against the connection's.
    pub(crate) head_timeout: Option<Duration>,
    /// The idle deadline's duration, resolved against the connection's.
    pub(crate) idle_timeout: Option<Duration>,
    /// Write offset just after the request's last queued byte.
    pub(crate) end: u64,
    /// The daemon answered before the request was written: the rest is never sent.
    pub(crate) abandoned: bool,
}

impl Entry {
    /// No more bytes of this request will be queued (its stream input aside).
    pub(crate) const fn complete(&self) -> bool {
        match self.req.body {
            RequestBody::Streamed(enc) => enc.is_finished() || self.abandoned,
            RequestBody::None | RequestBody::Fixed(_) => true,
        }
    }
}

/// A ring of at most [`CAPACITY`] entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queue {
    slots: [Option<Entry>; CAPACITY],
    start: usize,
    len: usize,
}

impl Queue {
    pub(crate) const fn new() -> Queue {
        Queue {
            slots: [None; CAPACITY],
            start: 0,
            len: 0,
        }
    }

    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index(&self, i: usize) -> usize {
        (self.start + i) % CAPACITY
    }

    /// Appends `entry`; false when full.
    pub(crate) fn push(&mut self, entry: Entry) -> bool {
        if self.len == CAPACITY {
            return false;
        }
        let at = self.index(self.len);
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = Some(entry);
            self.len += 1;
            return true;
        }
        false
    }

    pub(crate) fn pop_front(&mut self) -> Option<Entry> {
        if self.len == 0 {
            return None;
        }
        let entry = self.slots.get_mut(self.start).and_then(Option::take);
        self.start = (self.start + 1) % CAPACITY;
        self.len -= 1;
        entry
    }

    pub(crate) fn front(&self) -> Option<&Entry> {
        self.get(0)
    }

    pub(crate) fn front_mut(&mut self) -> Option<&mut Entry> {
        if self.len == 0 {
            return None;
        }
        self.slots.get_mut(self.start).and_then(Option::as_mut)
    }

    pub(crate) fn back(&self) -> Option<&Entry> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    pub(crate) fn back_mut(&mut self) -> Option<&mut Entry> {
        let i = self.len.checked_sub(1)?;
        let at = self.index(i);
        self.slots.get_mut(at).and_then(Option::as_mut)
    }

    fn get(&self, i: usize) -> Option<&Entry> {
        if i >= self.len {
            return None;
        }
        self.slots.get(self.index(i)).and_then(Option::as_ref)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        (0..self.len).filter_map(move |i| self.get(i))
    }

    pub(crate) fn find_mut(&mut self, id: RequestId) -> Option<&mut Entry> {
        let len = self.len;
        let start = self.start;
        let at = (0..len)
            .map(|i| (start + i) % CAPACITY)
            .find(|&at| matches!(self.slots.get(at), Some(Some(e)) if e.id == id))?;
        self.slots.get_mut(at).and_then(Option::as_mut)
    }
}
