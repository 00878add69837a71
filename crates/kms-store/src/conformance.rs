//! The conformance suite every Store backend must pass (written with the SQLite backend).
