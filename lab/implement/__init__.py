"""Implement it: running a learner's own Value class in the sandbox and checking it against the engine."""
