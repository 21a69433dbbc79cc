"""Lesson 2: a nonlinearity in your own Value, how gradient flow dies, and the leap to training.

Its stations are records (lab/lesson/lesson2.py); what each draws is in app/lesson2.py, walked as every lesson is
(app/walk.py).
"""

import streamlit as st

from app import lesson2 as views
from app import state, walk
from lab.lesson import lesson2
from lab.model.analysis import analyse
from lab.views import by_hand

state.set_view(views.ACTIVE, True)  # Implement it shows lesson 2's checks from now on in this session
current = state.analysis()
work = state.work()
a = lesson2.LESSON.example_analysis(current)
steps = lesson2.LESSON.progress(work, current, state.latest_report(), state.lesson_runs(lesson2.LESSON))
done = sum(p.done for p in steps)
reveal = not by_hand.engine_hidden(analyse(lesson2.NEURON), work.hand, work.settings)

title_column, progress_column = st.columns([5, 2], vertical_alignment="bottom")
title_column.title("Lesson 2: when gradients die")
progress_column.progress(done / len(steps), text=f"{done} of {len(steps)} stations done · about 90 min")
st.caption(
    "Goal: add a nonlinearity to your own `Value`, see how gradient flow can die, and make the leap from the "
    "chain rule to training. Scalars only, no NumPy. It builds on your class from lesson 1; your progress travels "
    "with your work (the link and the work file)."
)
st.page_link("app_pages/lesson.py", label="Back to lesson 1", icon=":material/arrow_back:")
walk.walk(lesson2.LESSON, views.VIEWS, steps, a, work, reveal, key="lesson2:station")
