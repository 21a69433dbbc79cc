"""The program model: what every page reads about a program (analysis, table, diagram, code, presets, builder)."""
