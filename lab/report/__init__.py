"""The learner's report: one list of sections, written as HTML and as Markdown."""
