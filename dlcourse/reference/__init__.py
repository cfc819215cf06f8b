"""NumPy reference implementations the checks compare student answers against."""
