"""Customer information and the customer's timeline: profiles (`profiles`), organisations,
communications, transactions (and the sales report's rollups of them, `sales_rollups`), custom
fields, lifecycle stages, saved segments, the search index and customer queries, duplicates and
merge, CSV imports.

May import `platform`; never `tracking` or any domain above it (import-linter checks it): what a
communication does to a requirement lives in `tracking.conversations`."""
