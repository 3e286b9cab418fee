//! Shared helpers for integration tests that build images with a real
//! BuildKit: running `docker buildx build` with either Dockerfile frontend
//! ([`build`]), normalizing the resulting image ([`image`]), comparing two
//! images ([`diff`]), and the differential cases' file formats ([`case`],
//! [`expect`]).

#![allow(dead_code)]

pub mod build;
pub mod case;
pub mod config;
pub mod diff;
pub mod engine;
pub mod expect;
pub mod image;
pub mod slipway_build;
pub mod upgrade_proxy;
