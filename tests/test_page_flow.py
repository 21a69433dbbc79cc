"""The "Watch gradients flow" page in AppTest: stepping changes the diagram, table and sentence."""

import re

import pytest
from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

LESSON_NEW_X = "x = 4\ny = 3\nz = x*y + y"


def open_flow() -> AppTest:
    return open_dashboard("app_pages/flow.py")


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def current_nodes(at: AppTest) -> list[str]:
    return re.findall(r"^\s*(v\d+) \[[^\n]*class=\"[^\"]*\bcurrent\b", dot(at), flags=re.M)


def sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "flow-sentence" in m.value)


def position(at: AppTest) -> str:
    box = sentence(at)
    return box[box.index("flow-position") :]


def slider(at: AppTest):
    (found,) = at.slider
    return found


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


@pytest.fixture
def at() -> AppTest:
    return open_flow()


def test_page_opens_at_the_seed_of_the_output(at):
    assert current_nodes(at) == ["v3"]  # z, the output
    assert "z.grad = 1" in sentence(at) and "dz/dz = 1" in sentence(at)
    assert "Start (step 0 of 2)" in position(at)
    assert slider(at).value == 0
    assert not at.button(key="flow:next").disabled
    assert at.button(key="flow:back").disabled


def test_step_moves_the_highlight_to_the_next_node_that_fires(at):
    click(at, "flow:next")  # step 1: z._backward()
    assert current_nodes(at) == ["v3"]
    assert "Step 1 of 2" in position(at)
    click(at, "flow:next")  # step 2: a._backward()
    assert current_nodes(at) == ["v2"]
    assert "3 * 1 = 3" in sentence(at) and "2 * 1 = 2" in sentence(at)
    assert "y.grad is now 3" in sentence(at)
    flowing = [line for line in dot(at).splitlines() if "class=flowing" in line]
    assert len(flowing) == 2
    assert any(line.strip().startswith("v0 -> op2") and 'label="+3"' in line for line in flowing)
    assert any(line.strip().startswith("v1 -> op2") and 'label="+2"' in line for line in flowing)
    assert at.button(key="flow:next").disabled
    assert slider(at).value == 2


def test_back_shows_the_gradients_as_they_were_one_step_earlier(at):
    click(at, "flow:next")
    click(at, "flow:next")
    click(at, "flow:back")
    assert "Step 1 of 2" in position(at)
    x_record = next(line for line in dot(at).splitlines() if line.strip().startswith("v0 ["))
    assert "grad 0" in x_record  # x only gets its 3 at step 2
    table = at.dataframe[0].value
    assert list(table["grad"]) == [0, 1, 1, 1]  # x, y, a, z after z = a + y has fired


def test_reset_goes_back_to_the_start(at):
    click(at, "flow:next")
    click(at, "flow:next")
    click(at, "flow:reset")
    assert "Start (step 0 of 2)" in position(at)
    assert slider(at).value == 0


def test_slider_jumps_to_a_step_and_buttons_continue_from_there(at):
    slider(at).set_value(2).run()
    assert not at.exception
    assert current_nodes(at) == ["v2"]
    click(at, "flow:back")
    assert "Step 1 of 2" in position(at)
    assert slider(at).value == 1


def test_forward_mode_computes_one_node_at_a_time(at):
    click(at, "flow:next")
    at.segmented_control(key="flow:mode").set_value("forward").run()
    assert not at.exception
    assert "Node 1 of 4" in position(at)
    assert "x = 2 is a variable" in sentence(at)
    click(at, "flow:next")
    click(at, "flow:next")
    assert "a = x * y = 2 * 3 = 6" in sentence(at)
    assert current_nodes(at) == ["v2"]
    z_record = next(line for line in dot(at).splitlines() if line.strip().startswith("v3 ["))
    assert "data ?" in z_record  # z is not computed yet at this step
    data = list(at.dataframe[0].value["data"])
    assert data[:3] == [2, 3, 6]
    assert data[3] != data[3]  # z not computed yet: NaN, an empty cell


def test_changing_a_value_keeps_the_step_and_updates_its_numbers(at):
    slider(at).set_value(2).run()
    at.session_state["program"] = LESSON_NEW_X  # what the sidebar's number input for x does
    at.run()
    assert not at.exception
    assert "Step 2 of 2" in position(at)
    # y.grad += x.data * a.grad = 4 * 1 = 4, and 1 from z = a + y: 5
    assert "4 * 1 = 4" in sentence(at) and "y.grad is now 5" in sentence(at)


def test_a_new_program_starts_again_at_step_zero(at):
    slider(at).set_value(2).run()
    at.session_state["program"] = "p = 2\nq = p * p"
    at.run()
    assert not at.exception
    assert "Start (step 0 of 1)" in position(at)
    click(at, "flow:next")
    # q = p * p: two edges from p, each adding p.data * q.grad = 2 * 1 = 2, so p.grad = 4
    assert sentence(at).count("p.grad += p.data * q.grad = 2 * 1 = 2") == 2
    assert list(at.dataframe[0].value["grad"]) == [4, 1]


def test_play_steps_on_its_own_and_pause_stops_it(at):
    at.selectbox(key="flow:speed").set_value(0.25).run()
    click(at, "flow:play")
    assert at.button(key="flow:pause").label == "Pause"
    assert "Step 1 of 2" in position(at)  # the first step comes right away
    at.run()  # what the timer does: rerun the stepping part
    assert not at.exception
    assert "Step 2 of 2" in position(at)
    assert at.button(key="flow:play").label == "Play"  # stops at the end
    click(at, "flow:play")  # at the end, play starts again from the start
    assert "Start (step 0 of 2)" in position(at)
    at.run()
    assert "Step 1 of 2" in position(at)
    click(at, "flow:pause")
    assert at.button(key="flow:play").label == "Play"
    at.run()
    assert "Step 1 of 2" in position(at)


def test_step_and_pass_survive_a_visit_to_another_page(at):
    click(at, "flow:next")
    at.segmented_control(key="flow:mode").set_value("forward").run()
    click(at, "flow:next")
    at.switch_page("app_pages/build.py").run()
    at.switch_page("app_pages/flow.py").run()
    assert not at.exception
    assert "Node 2 of 4" in position(at)


def long_chain() -> str:
    """x and w used again and again: 2 variables, 1 constant and 61 operations (64 nodes).

    Long edges from x and w to every step, unless they are drawn again beside each far use."""
    lines = ["x = 0.5", "w = -0.9", "s0 = x * w + 1"]
    for k in range(1, 30):
        lines.append(f"s{k} = s{k - 1} * w + x")
    lines.append("L = -s29")
    return "\n".join(lines)


def sum_of_products() -> str:
    """33 variables, 33 products and 32 sums: 98 nodes, each variable used twice."""
    names = [f"x{i}" for i in range(33)]
    values = [f"{name} = {i % 5 - 2}" for i, name in enumerate(names)]
    return "\n".join([*values, "L = " + " + ".join(f"{names[i]}*{names[(i + 1) % 33]}" for i in range(33))])


def test_a_hundred_node_program_steps_with_its_diagram(at):
    at.session_state["program"] = sum_of_products()
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 98
    click(at, "flow:next")
    click(at, "flow:next")
    assert "Step 2 of 65" in position(at)  # one step per operation: 33 products, 32 sums
    assert len(current_nodes(at)) == 1


def test_a_long_chain_that_reuses_its_inputs_steps_with_its_diagram(at):
    at.session_state["program"] = long_chain()
    at.run()
    assert not at.exception
    assert at.get("graphviz_chart")  # its far uses are drawn as copies: quick to lay out
    click(at, "flow:next")
    assert "Step 1 of " in position(at)
    assert len(at.dataframe[0].value) == 64
    assert len(current_nodes(at)) == 1


# -- predict, then reveal -------------------------------------------------------------------------
# By hand (the lesson): step 0 seeds z.grad = 1; step 1 (z = a + y) adds 1 to a.grad and 1 to y.grad;
# step 2 (a = x * y) adds y.data * a.grad = 3 * 1 = 3 to x.grad and x.data * a.grad = 2 * 1 = 2 to y.grad.


def predicting(at: AppTest) -> AppTest:
    at.toggle(key="flow:predict").set_value(True).run()
    assert not at.exception
    return at


def boxes(at: AppTest) -> dict[str, object]:
    """The prediction boxes shown, by label."""
    return {box.label: box for box in at.text_input if box.key and box.key.startswith("flow:predict:")}


def check(at: AppTest, **entries: str) -> AppTest:
    """Type into the boxes labelled like `x.grad += ?` (given as x="3") and press Check."""
    shown = boxes(at)
    for name, text in entries.items():
        (label,) = [label for label in shown if label.split(".")[0] == name]
        shown[label].input(text)
    next(b for b in at.button if b.label == "Check").click().run()
    assert not at.exception
    return at


def predictions_html(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "flow-predictions" in m.value)


def score(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "flow-score" in m.value)


def test_predicting_the_seed_hides_it_until_check_then_scores_it(at):
    predicting(at)
    assert list(boxes(at)) == ["z.grad = ?"]
    assert "what is z.grad set to?" in sentence(at)
    assert "your prediction first" in position(at)
    assert list(at.dataframe[0].value["grad"]) == [0, 0, 0, 0]  # before the seed every grad is 0
    assert at.button(key="flow:next").disabled
    assert at.button(key="flow:play").disabled
    check(at, z="1")
    assert "✔ z.grad = 1" in predictions_html(at)
    assert "1 of 1 right so far" in score(at)
    assert "dz/dz = 1" in sentence(at)
    assert list(at.dataframe[0].value["grad"]) == [0, 0, 0, 1]
    assert not at.button(key="flow:next").disabled
    assert at.session_state["predictions"]  # kept in the learner's work (the link and the work file)


def test_a_wrong_prediction_is_explained_and_the_score_runs_over_the_pass(at):
    predicting(at)
    check(at, z="1")
    click(at, "flow:next")
    assert list(boxes(at)) == ["a.grad += ?", "y.grad += ?"]
    check(at, a="1", y="1")
    assert "3 of 3 right so far" in score(at)
    click(at, "flow:next")
    # before Check: a highlighted, its two edges marked but without numbers, x.grad still 0
    assert current_nodes(at) == ["v2"]
    flowing = [line for line in dot(at).splitlines() if "class=flowing" in line]
    assert len(flowing) == 2 and not any("label=" in line for line in flowing)
    assert list(at.dataframe[0].value["grad"]) == [0, 1, 1, 1]
    assert "3 * 1" not in sentence(at) and "is now" not in sentence(at)
    check(at, x="y", y="3")  # x: `y` is 3 here, right; y: 3 is y's total, but this edge adds 2
    shown = predictions_html(at)
    assert "✔ x.grad += 3" in shown and "✘ y.grad += 2" in shown
    assert "y.grad += x.data * a.grad = 2 * 1 = 2" in shown
    assert "upstream gradient a.grad = 1" in shown and "local derivative da/dy = x.data = 2" in shown
    assert "4 of 5 right so far" in score(at)
    assert "y.grad is now 3" in sentence(at)
    assert list(at.dataframe[0].value["grad"]) == [3, 3, 1, 1]


def test_an_unreadable_prediction_reveals_nothing_and_says_why(at):
    predicting(at)
    check(at, z="1 +")
    assert any("Nothing revealed yet" in w.value for w in at.warning)
    assert list(boxes(at)) == ["z.grad = ?"]  # still asking
    assert boxes(at)["z.grad = ?"].value == "1 +"  # what was typed is still there
    assert at.session_state["predictions"] == {}
    at.switch_page("app_pages/build.py").run()
    at.switch_page("app_pages/flow.py").run()
    assert boxes(at)["z.grad = ?"].value == "1 +"  # and after a visit to another page
    check(at, z="")
    assert any("type a number" in w.value for w in at.warning)


def test_step_cannot_jump_past_a_step_not_checked_yet(at):
    predicting(at)
    slider(at).set_value(2).run()
    assert not at.exception
    assert "Start (step 0 of 2)" in position(at)
    check(at, z="1")
    click(at, "flow:next")
    click(at, "flow:back")  # a checked step stays revealed
    assert "✔ z.grad = 1" in predictions_html(at)


def test_predictions_survive_a_page_switch_and_a_new_value_starts_a_new_pass(at):
    predicting(at)
    check(at, z="2")
    at.switch_page("app_pages/build.py").run()
    at.switch_page("app_pages/flow.py").run()
    assert not at.exception
    assert "✘ z.grad = 1" in predictions_html(at)
    assert "0 of 1 right so far" in score(at)
    at.session_state["program"] = LESSON_NEW_X  # what the sidebar's number input for x does
    at.run()
    assert not at.exception
    assert list(boxes(at)) == ["z.grad = ?"]  # new numbers: predict again
    assert "No predictions" in score(at)
    at.session_state["program"] = "x = 2\ny = 3\nz = x*y + y"  # back to the first values: their pass is kept
    at.run()
    assert "0 of 1 right so far" in score(at)


def test_forward_mode_asks_for_each_computed_value(at):
    predicting(at)
    at.segmented_control(key="flow:mode").set_value("forward").run()
    assert not at.exception
    assert "Node 1 of 4" in position(at)  # x: an input, nothing to ask
    assert not boxes(at)
    click(at, "flow:next")
    click(at, "flow:next")
    assert list(boxes(at)) == ["a.data = ?"]
    assert "data ?" in next(line for line in dot(at).splitlines() if line.strip().startswith("v2 ["))
    check(at, a="x + y")  # 5, not 2 * 3
    shown = predictions_html(at)
    assert "✘ a.data = 6" in shown and "a = x * y = 2 * 3 = 6" in shown


def test_predict_again_clears_this_pass_and_goes_back_to_its_start(at):
    predicting(at)
    check(at, z="1")
    click(at, "flow:next")
    at.button(key="flow:predict_again").click().run()
    assert not at.exception
    assert "Start (step 0 of 2)" in position(at)
    assert list(boxes(at)) == ["z.grad = ?"]
    assert at.session_state["predictions"] == {}


def test_turning_predict_off_shows_every_step_and_plays_again(at):
    predicting(at)
    at.toggle(key="flow:predict").set_value(False).run()
    assert not at.exception
    assert not boxes(at)
    assert not at.button(key="flow:play").disabled
    assert at.session_state["settings"]["predict"] is False


def test_a_formula_prediction_is_shown_as_code_not_with_backticks(at):
    predicting(at)
    check(at, z="x - 1")  # 2 - 1 = 1: right
    assert "<code>x - 1</code>, which is 1 here" in predictions_html(at)


# -- the learner's own rules, step by step -------------------------------------------------------

OVERWRITING_MUL = "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"


def open_flow_with_rules(rules: dict[str, str]) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=30)
    at.session_state["rules"] = {}
    at.run()
    at.session_state["rules"] = rules
    at.switch_page("app_pages/flow.py")
    at.run()
    assert not at.exception
    return at


def y_grad_in_table(at: AppTest) -> float:
    table = at.dataframe[0].value
    return float(table.loc[table["node"] == "y", "grad"].iloc[0])


def test_the_pass_runs_with_the_learners_rules_when_asked():
    # z = a + y, a = x * y. With `=` in the * rule, a's step overwrites y.grad: 1 from z's step is
    # lost and y.grad ends as x.data * a.grad = 2 (the engine, with +=, gets 1 + 2 = 3).
    at = open_flow_with_rules({"*": OVERWRITING_MUL})
    at.slider[0].set_value(2).run()
    assert y_grad_in_table(at) == 3  # the engine's rules until the switch is on
    at.toggle(key="flow:my_rules").set_value(True).run()
    assert not at.exception
    at.slider[0].set_value(2).run()
    assert y_grad_in_table(at) == 2
    assert "With your rules" in sentence(at) and "y.grad = x.data * a.grad" in sentence(at)
    at.toggle(key="flow:my_rules").set_value(False).run()
    assert y_grad_in_table(at) == 3


def test_the_my_rules_switch_is_only_there_when_the_learner_wrote_a_rule(at):
    assert not [t for t in at.toggle if t.key == "flow:my_rules"]


def test_the_learners_tolerance_judges_predictions():
    at = open_dashboard("app_pages/flow.py", tol="0.01")
    predicting(at)
    check(at, z="1.005")  # |0.005| <= 0.01 * 1: right with the learner's tolerance, wrong with the default 0.001
    assert "✔ z.grad = 1" in predictions_html(at)
    assert "1 of 1 right so far" in score(at)


def test_the_last_step_stays_hidden_until_it_is_predicted(at):
    predicting(at)
    check(at, z="1")
    click(at, "flow:next")
    check(at, a="1", y="1")
    slider(at).set_value(2).run()  # the last step, not predicted yet
    assert "Step 2 of 2: your prediction first" in position(at)
    assert list(boxes(at)) == ["x.grad += ?", "y.grad += ?"]
    assert list(at.dataframe[0].value["grad"]) == [0, 1, 1, 1]  # x.grad not sent yet, y.grad only from z
    assert at.button(key="flow:next").disabled


# -- My Value: the learner's own backward() (their code on Implement it) ---------------------------


def open_flow_with_code(code: str, **query: str) -> AppTest:
    return open_dashboard("app_pages/flow.py", code=code, **query)


def test_the_my_value_switch_is_only_there_once_the_learners_code_has_a_backward_pass(at):
    from implement_solutions import SOLUTION

    from lab.implement.run import SKELETON

    assert not [t for t in at.toggle if t.label == "My Value"]  # no code of the learner's
    with_skeleton = open_flow_with_code(SKELETON.replace("...", "pass", 1))  # runs, but backward() calls nothing
    assert not [t for t in with_skeleton.toggle if t.label == "My Value"]
    mine = open_flow_with_code(SOLUTION)
    assert [t for t in mine.toggle if t.label == "My Value"]


def test_my_value_steps_through_the_learners_own_backward_in_their_order():
    # no topological order: the learner's backward() fires each node as it finds it from the output. On
    # z = a + c, c = b*y, b = a*x, a = x*y it fires a (found from z) before b and c, which use a: a sends its
    # gradient before it has all of it. Step by step, their order, their grads.
    from implement_solutions import BUGS

    from lab.implement.graphs import learner_backward_steps

    code = BUGS["no_topological_order"][0]
    program = "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nz = a + c"
    at = open_flow_with_code(code, expr=program)
    at.toggle(key="flow:my_value").set_value(True).run()
    assert not at.exception
    # the page's own run: `_prev` is a set in the lesson's class, so the order can differ from one run to the next
    (report,) = at.session_state["_implementation_reports"].values()
    calls = [report.program_graph.names[s.node] for s in learner_backward_steps(report, "program")[1:]]
    assert calls.index("a") < calls.index("b")  # their order, not the engine's
    assert "Your own `backward()` on your program" in " ".join(i.value for i in at.info)
    order = next(m.value for m in at.markdown if "→" in m.value)
    assert re.findall(r">([a-z])</span>", order) == calls
    for k, name in enumerate(calls, start=1):
        click(at, "flow:next")
        assert f"your {name}._backward()" in sentence(at), (k, sentence(at))
    # at the end, the learner's grads: the diagram shows what their code left, x.grad not the engine's 39+...
    final = {n.label: n.grad for n in report.program_graph.nodes}
    assert f"grad {final['x']:g}" in dot(at)


def test_my_value_falls_back_to_the_lessons_example_and_says_why():
    from implement_solutions import SOLUTION

    at = open_flow_with_code(SOLUTION, expr="x = 2\ny = 3\nz = x - y", first="0")  # by hand first off
    at.toggle(key="flow:my_value").set_value(True).run()
    note = " ".join(i.value for i in at.info)
    assert "the lesson's example" in note and "no `__sub__`" in note
    assert "your z._backward()" in sentence(click(at, "flow:next"))


def test_while_predicting_the_page_says_why_my_value_is_off_and_turns_predict_first_off_for_it():
    from implement_solutions import SOLUTION

    at = open_flow_with_code(SOLUTION, predict="1", first="0")  # by hand first off: the example is shown
    (switch,) = [t for t in at.toggle if t.label == "My Value"]
    assert switch.disabled
    said = " ".join(i.value for i in at.info)
    assert "My Value is off while you predict" in said and "checked against the engine" in said
    click(at, "flow:my_value_instead")
    assert not at.exception
    assert not at.toggle(key="flow:predict").value and at.toggle(key="flow:my_value").value
    assert not at.toggle(key="flow:my_value").disabled
    said = " ".join(i.value for i in at.info)
    assert "off while you predict" not in said and "Your own `backward()` on your program" in said
    assert "your z._backward()" in sentence(click(at, "flow:next"))  # their backward(), stepped
    assert not [b for b in at.button if b.key == "flow:my_value_instead"]


def test_by_hand_first_holds_my_value_back_on_the_lessons_example_as_implement_it_does():
    # the learner's own backward() on the example would show its gradients (3 and 3) before By hand
    from implement_solutions import SOLUTION

    at = open_flow_with_code(SOLUTION)  # the lesson's example, by hand first on (the default)
    (switch,) = [t for t in at.toggle if t.label == "My Value"]
    assert switch.disabled
    said = " ".join(i.value for i in at.info)
    assert "My Value waits for your hand entries" in said and "Your own `backward()`" not in said
    fallback = open_flow_with_code(SOLUTION, expr="x = 2\ny = 3\nz = x - y")  # falls back to the example: held too
    assert next(t for t in fallback.toggle if t.label == "My Value").disabled

    worked = open_flow_with_code(SOLUTION, hand='{"grad:x":"3","grad:y":"3"}')  # worked out by hand: shown
    worked.toggle(key="flow:my_value").set_value(True).run()
    assert "your z._backward()" in sentence(click(worked, "flow:next"))
    worked.session_state["hand"] = {}  # the entries gone again (cleared on By hand): My Value, switched on, waits
    worked.run()
    assert "your z._backward()" not in sentence(worked) and "waits for your hand entries" in worked.info[0].value
    other = open_flow_with_code(SOLUTION, expr="p = 3\nq = p * p")  # not the example: their numbers are theirs
    other.toggle(key="flow:my_value").set_value(True).run()
    assert "your q._backward()" in sentence(click(other, "flow:next"))
