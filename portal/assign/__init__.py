"""Reviewer assignment: affinity scores and an optimal min-cost-flow solver. Pure modules, no Flask."""
