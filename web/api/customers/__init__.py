"""Customer information over the API: customers and segments (`profiles`), organisations,
communications and timelines, transactions, custom fields."""
