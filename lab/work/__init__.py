"""The learner's work: what they made, kept in the link and the work file."""
