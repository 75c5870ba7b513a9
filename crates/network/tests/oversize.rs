//! An announced message length over the kind's limit resets the stream before the receiver
//! allocates anything for it. The test binary's allocator records the largest single
//! allocation while the oversized frames are in flight.

mod common;

use common::*;
use marmalade_network::{code, StreamError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The system allocator, noting the largest allocation made while `WATCHING` is set.
struct Watching;

static WATCHING: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only sizes are noted.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_reset_without_allocating() {
    let mut a = start(0);
    let raw = raw_dev_client(2);
    let conn = raw_connect(&raw, a.addr()).await;
    // Warm up: one well-formed request, so that buffers sized by use exist already.
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&[ECHO]).await.unwrap();
    write_message(&mut send, b"warm").await;
    send.finish().unwrap();
    recv.read_to_end(1 << 16).await.unwrap();

    WATCHING.store(true, Ordering::SeqCst);
    // A CE request announcing almost 4 GiB, and a UP message announcing 64 MiB.
    for (kind, len) in [(ECHO, 0xffff_fff0u32), (UP, 64 << 20)] {
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&[kind]).await.unwrap();
        send.write_all(&len.to_le_bytes()).await.unwrap();
        let _ = send.write_all(&[0x55; 1000]).await;
        // The receiver resets its sending half with OVERSIZED.
        let r = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 16))
            .await
            .unwrap();
        match r {
            Err(quinn::ReadToEndError::Read(quinn::ReadError::Reset(c))) => {
                assert_eq!(c.into_inner(), u64::from(code::OVERSIZED))
            }
            other => panic!("expected a reset, got {other:?}"),
        }
        let err = a
            .expect(|e| match e {
                Event::CeFailed(_, e) | Event::UpEnded(_, Err(e)) => Some(e),
                _ => None,
            })
            .await;
        assert_eq!(
            err,
            StreamError::Oversized {
                len,
                max: MAX_MESSAGE
            }
        );
    }
    // The connection still serves requests.
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&[ECHO]).await.unwrap();
    write_message(&mut send, b"after").await;
    send.finish().unwrap();
    let resp = recv.read_to_end(1 << 16).await.unwrap();
    WATCHING.store(false, Ordering::SeqCst);
    assert_eq!(&resp[4..], b"re:after");
    let largest = LARGEST.load(Ordering::SeqCst);
    // Nothing near the announced sizes (64 MiB, 4 GiB) was allocated, not even a first
    // chunk of the content (up to 64 KiB).
    assert!(largest < 32 << 10, "largest allocation {largest} octets");
    println!("largest allocation while oversized frames were in flight: {largest} octets");
    a.net.close().await;
}
