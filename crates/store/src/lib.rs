//! State storage backends (being written).
