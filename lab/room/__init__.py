"""The instructor's room: the facts a learner's work sends, their storage (SQL), and the instructor's view."""
