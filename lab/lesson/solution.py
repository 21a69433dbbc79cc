"""The lesson's own answer to Implement it: a `Value` class and `backward()` as the lesson writes them.

Never shown to the learner (the editor starts from the skeleton, lab/implement/run.py's SKELETON): the
lesson's walk (tests/test_lesson_walk.py) marks the Implement it station done with it, and the
tests' buggy variants (tests/implement_solutions.py) are made from it, one change each.
"""

from lab.implement.slips import SOLUTION  # written once: the base of every slip of Implement it's catalog

# Lesson 2: lesson 1's class with tanh() and relu(), and a training loop (lab/implement/lesson2.py checks them).
LESSON2_METHODS = """\
    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), 'relu')

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

"""
LESSON2_TRAIN = """
def train(w, b, points, lr, steps):
    losses = []
    for step in range(steps):
        loss = Value(0.0)
        for x, y in points:
            o = (w * Value(x) + b).tanh()
            d = o + Value(-y)
            loss = loss + d * d
        w.grad = 0.0
        b.grad = 0.0
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        losses.append(loss.data)
    return losses
"""
LESSON2_SOLUTION = (
    "import math\n\n"
    + SOLUTION.replace("    def backward(self):", LESSON2_METHODS + "    def backward(self):")
    + LESSON2_TRAIN
)
