"""Sentences of the traces, checked against the lesson example worked out by hand."""

from engine.trace import Mistake, backward_steps, gradient_sources, grads_at
from lab.model.analysis import analyse
from lab.model.explain import backward_sentence, forward_sentence, gradient_sum, op_expression

LESSON = "x = 2\ny = 3\nz = x*y + y"


def test_backward_sentence_of_the_multiplication_step_has_the_hand_numbers():
    a = analyse(LESSON)
    step = a.steps[2]
    sentence = backward_sentence(a, step, grads_at(a.graph, a.steps, 2))
    assert sentence == (
        "a = x * y: x.grad += y.data * a.grad = 3 * 1 = 3; y.grad += x.data * a.grad = 2 * 1 = 2, so y.grad is now 3"
    )


def test_start_sentence_explains_the_seed():
    a = analyse(LESSON)
    assert "z.grad = 1" in backward_sentence(a, a.steps[0], grads_at(a.graph, a.steps, 0))
    assert "dz/dz = 1" in backward_sentence(a, a.steps[0], grads_at(a.graph, a.steps, 0))


def test_addition_step_reads_without_a_times_one():
    a = analyse(LESSON)
    assert backward_sentence(a, a.steps[1], grads_at(a.graph, a.steps, 1)) == (
        "z = a + y: a.grad += z.grad = 1; y.grad += z.grad = 1"
    )


def test_overwrite_mistake_is_worded_with_equals():
    a = analyse(LESSON)
    steps = backward_steps(a.graph, Mistake.OVERWRITE)
    sentence = backward_sentence(a, steps[2], grads_at(a.graph, steps, 2), overwrite=True)
    assert "y.grad = x.data * a.grad = 2 * 1 = 2" in sentence
    backward_steps(a.graph)  # put the right grads back


def test_gradient_sum_of_a_reused_variable_has_one_term_per_use():
    a = analyse(LESSON)
    sources = gradient_sources(a.graph, a.steps)
    y = a.variables["y"]
    # dz/dy = 1 * z.grad (z = a + y) + x.data * a.grad (a = x * y) = 1 + 2 = 3
    assert gradient_sum(a, y, sources[y]) == "y.grad = 1 * z.grad + x.data * a.grad = 1 * 1 + 2 * 1 = 3"


def test_gradient_sum_of_the_output_and_of_an_unused_node():
    a = analyse(LESSON)
    assert "dz/dz = 1" in gradient_sum(a, a.output, [])
    assert "not used" in gradient_sum(a, 0, [])


def test_forward_sentences_compute_node_by_node():
    a = analyse(LESSON)
    assert [forward_sentence(a, i) for i in (2, 3)] == ["a = x * y = 2 * 3 = 6", "z = a + y = 6 + 3 = 9"]
    assert "variable" in forward_sentence(a, 0)


def test_every_operator_has_words_for_its_local_derivative():
    a = analyse("x = 0.5\ny = 2\nz = (x - y) / y + x**3 + tanh(x) + relu(x) + exp(x) + log(y) + -x")
    sources = gradient_sources(a.graph, a.steps)
    for i in range(len(a.graph)):
        gradient_sum(a, i, sources[i])  # every op's local derivative has a template
        if a.graph.nodes[i]._prev:
            assert op_expression(a, i)
    x = a.variables["x"]
    text = gradient_sum(a, x, sources[x])
    assert "3 * x.data**2" in text and "(1 - " in text


def test_a_node_used_twice_in_one_step_gets_its_total():
    a = analyse("p = 2\nq = p * p")
    sentence = backward_sentence(a, a.steps[1], grads_at(a.graph, a.steps, 1))
    # q = p * p: p.grad += p.data * q.grad = 2 * 1 twice, so p.grad is 4 (= dq/dp = 2p)
    assert sentence.endswith("so p.grad is now 4")
