"""Moving a linked partner's customers to its CSP account at a peer instance (docs/migration.md)."""
