"""The program model: what every page reads about a program (its analysis, identity, table, diagram, code,
steps, the engine's source, a learner's typed answers, presets, builder); it imports only the engine."""
