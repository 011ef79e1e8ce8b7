//! Answer buffers reused per thread.
//!
//! A single lead's answer (~1.4 KB with its factors) is past the allocator's cache of small
//! blocks, so a fresh buffer for each answer took glibc's slow path twice a request, once to
//! allocate it and once to free it when the response had been written (~600 instructions of a
//! single-lead request, callgrind). [`take`] gives a buffer this thread used before, and a body
//! made by [`body`] gives its buffer back to the thread that drops it (the connection's, once
//! the bytes are written). Each thread keeps at most [`KEPT`] buffers, each of
//! [`MIN_KEPT_BYTES`] to [`MAX_KEPT_BYTES`]: a batch's large answer is freed as before.

use axum::body::Bytes;
use std::cell::RefCell;

/// Buffers kept per thread.
pub const KEPT: usize = 4;
/// Smaller buffers are not kept (the allocator's cache serves those cheaply).
pub const MIN_KEPT_BYTES: usize = 1024;
/// Larger buffers are not kept (a batch's answer: memory held for nothing between batches).
pub const MAX_KEPT_BYTES: usize = 64 * 1024;

/// Whether a buffer of `capacity` bytes is one to keep.
fn kept_size(capacity: usize) -> bool {
    (MIN_KEPT_BYTES..=MAX_KEPT_BYTES).contains(&capacity)
}

thread_local! {
    static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer of at least `capacity` bytes: one this thread gave back, else a new one.
pub fn take(capacity: usize) -> Vec<u8> {
    if kept_size(capacity) {
        let kept = FREE
            .try_with(|free| free.try_borrow_mut().ok().and_then(|mut f| f.pop()))
            .ok()
            .flatten();
        if let Some(mut buffer) = kept {
            buffer.clear();
            buffer.reserve(capacity);
            return buffer;
        }
    }
    Vec::with_capacity(capacity)
}

/// `buffer` as a response body, whose buffer is kept for [`take`] when the body is dropped.
pub fn body(buffer: Vec<u8>) -> Bytes {
    Bytes::from_owner(Kept(buffer))
}

/// A body's buffer, given back on drop.
struct Kept(Vec<u8>);

impl AsRef<[u8]> for Kept {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        if !kept_size(self.0.capacity()) {
            return;
        }
        let buffer = std::mem::take(&mut self.0);
        // After the thread's own buffers are gone (the thread ending), the buffer is freed.
        let _ = FREE.try_with(|free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                if free.len() < KEPT {
                    free.push(buffer);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_body_gives_its_buffer_to_the_next_answer() {
        let mut first = take(1500);
        first.extend_from_slice(b"{\"score\":0.5}");
        let at = first.as_ptr();
        let body = body(first);
        assert_eq!(&body[..], b"{\"score\":0.5}");
        drop(body);
        let next = take(1400);
        assert!(next.is_empty() && next.capacity() >= 1400);
        assert_eq!(next.as_ptr(), at, "the same buffer again");
    }

    #[test]
    fn small_and_large_buffers_are_not_kept_and_at_most_kept_are() {
        drop(body(Vec::with_capacity(100)));
        drop(body(Vec::with_capacity(MAX_KEPT_BYTES + 1)));
        assert_eq!(FREE.with(|f| f.borrow().len()), 0);
        for _ in 0..KEPT + 2 {
            drop(body(Vec::with_capacity(2000)));
        }
        assert_eq!(FREE.with(|f| f.borrow().len()), KEPT);
        // A clone of the body keeps the buffer until the last one is dropped.
        FREE.with(|f| f.borrow_mut().clear());
        let b = body(take(2000));
        let c = b.clone();
        drop(b);
        assert_eq!(FREE.with(|f| f.borrow().len()), 0);
        drop(c);
        assert_eq!(FREE.with(|f| f.borrow().len()), 1);
    }
}
