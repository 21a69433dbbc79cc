"""Counting the takeaway's sentences the way a reader would, and the gentle message below 3 or above 5."""

import pytest

from lab.lesson.takeaway import count_sentences, is_done, message


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("", 0),
        ("   \n\n  ", 0),
        ("I learned that gradients add up.", 1),
        ("No full stop at the end", 1),
        ("It adds up. Really! Why did I doubt it?", 3),
        ("x.grad is 3 and y.grad is 3. That surprised me.", 2),  # the dot in x.grad is not an end
        ("The step was 3.5 units. Then 0.25.", 2),  # nor the dot in a number
        ("Some rules, e.g. the one for *, are symmetric. Others, i.e. -, are not.", 2),
        ("It was... odd at first. Then it clicked.", 2),  # an ellipsis that runs on in lower case
        ("Wait?! It works.", 2),
        ("- the seed is 1\n- += collects\n- order matters", 3),  # a list: one sentence per item
        ("1. first point\n2. second point", 2),
        ("First paragraph without a stop\n\nSecond paragraph.", 2),
        ("😀 🎉", 0),  # no words
        ("Emoji end it 🎉. Second one.", 2),
        ('He said "it adds up." Then I saw it.', 2),
    ],
)
def test_sentences_are_counted_like_a_reader_would(text, sentences):
    assert count_sentences(text) == sentences


def test_three_to_five_sentences_are_done_and_others_are_not():
    assert not is_done("One. Two.")
    assert is_done("One. Two. Three.")
    assert is_done("One. Two. Three. Four. Five.")
    assert not is_done("One. Two. Three. Four. Five. Six.")


def test_the_message_is_gentle_below_three_and_above_five():
    kind, words = message("Just one.")
    assert kind == "warning" and "1 sentence " in words and "3 to 5" in words
    kind, words = message("A. B. C. D. E. F.")
    assert kind == "warning" and "6 sentences" in words
    assert message("A. B. C.")[0] == "success"
    assert message("")[0] == "info"


def test_a_huge_takeaway_is_counted_without_trouble():
    text = "This is one sentence with x.grad and 3.5 in it. " * 2000  # about 100,000 characters
    assert count_sentences(text) == 2000
