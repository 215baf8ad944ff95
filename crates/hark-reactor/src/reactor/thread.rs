//! [`ReactorThread`]: a reactor running on a thread of its own.

use std::io;
use std::thread::JoinHandle;

use super::{Reactor, ReactorError};
use crate::ReactorHandle;

/// A [`Reactor`] running on its own thread (named `hark-reactor`); dropping it shuts the
/// reactor down and joins the thread.
#[derive(Debug)]
pub struct ReactorThread {
    handle: ReactorHandle,
    join: Option<JoinHandle<Result<Reactor, ReactorError>>>,
}

impl ReactorThread {
    pub(super) fn start(mut reactor: Reactor) -> io::Result<Self> {
        let handle = reactor.handle();
        let join = std::thread::Builder::new()
            .name("hark-reactor".into())
            .spawn(move || reactor.run().map(|()| reactor))?;
        Ok(ReactorThread {
            handle,
            join: Some(join),
        })
    }

    /// A handle to the reactor.
    pub fn handle(&self) -> &ReactorHandle {
        &self.handle
    }

    /// Waits until the reactor stops (after a [`ReactorHandle::shutdown`] from elsewhere)
    /// and gives it back, with its UDP sockets, cores and SCTP sockets for inspection.
    pub fn join(mut self) -> Result<Reactor, ReactorError> {
        self.wait()
    }

    /// Stops the reactor, waits for its thread and gives the reactor back.
    pub fn shutdown(mut self) -> Result<Reactor, ReactorError> {
        self.handle.shutdown();
        self.wait()
    }

    fn wait(&mut self) -> Result<Reactor, ReactorError> {
        match self.join.take() {
            Some(join) => join.join().map_err(|_| ReactorError::Panicked)?,
            None => Err(ReactorError::Panicked),
        }
    }
}

impl Drop for ReactorThread {
    fn drop(&mut self) {
        if let Some(join) = self.join.take() {
            self.handle.shutdown();
            let _ = join.join();
        }
    }
}
