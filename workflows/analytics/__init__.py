"""Analytics: support, sales and Pareto reports and the statistics behind a strategy's measured
effect. The top domain: it reads every domain below it (tracking, customers, platform) and
writes nothing but its answers. Figures are SQL aggregates over indexed columns; statistics come
from scipy and statsmodels (DESIGN.md §7b)."""
