"""The GitHub Actions front end: the runner contract (toolkit, inputs, outputs, job summary)
and the action's wiring.
"""
