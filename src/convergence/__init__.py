"""Convergence: steering the adoption of the French e-health doctrine."""
