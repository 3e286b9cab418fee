//! The session: a gRPC server hosted by the client, reached by the daemon
//! through a tunnel (`Control.Session` or the engine's `/session` upgrade).

pub mod auth;
pub mod filesync;
pub mod secrets;
pub mod ssh;
