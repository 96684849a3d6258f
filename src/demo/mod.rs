//! The demo workspace builder (placeholder; being written).
