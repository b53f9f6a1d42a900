"""Data-subject rights over the API: export, erasure and legal holds, reveal, the access log."""
