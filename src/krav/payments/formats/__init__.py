"""Bank-file parsers: pure functions from file content to :class:`BankTransaction` values."""
