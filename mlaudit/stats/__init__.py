"""Statistics as plain numpy functions, each with its formula in the docstring.

Checks call these; they never read data or know about contracts.
"""
