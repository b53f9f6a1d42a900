"""Reports over the API: support and sales KPIs and Pareto analyses (workflows/analytics)."""
