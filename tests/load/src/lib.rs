//! The load benchmark of issue 16: a WebSocket load generator (`wsh-load`) and the native echo
//! server it measures wsh against (`native-echo`). What both must agree on, the echo protocol,
//! lives here; the rest belongs to one binary or the other.

pub mod protocol;
