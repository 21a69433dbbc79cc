"""Backprop Lab's view logic: plain Python that turns the engine's graph into what pages show."""
