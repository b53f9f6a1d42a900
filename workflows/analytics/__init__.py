"""Analytics: support, sales and Pareto reports, a strategy's measured effect and the statistics
behind it. The top domain: it reads every domain below it (outreach, tracking, customers,
platform) and writes nothing but its answers. Figures are SQL aggregates over indexed columns;
statistics come from scipy and statsmodels (DESIGN.md §7b)."""
