"""The notebooks' conceptual quizzes: well formed, right answers pass, nothing a learner types
makes a check raise, and the notebooks' solutions agree with the answer keys."""

import ast
import json
import re
from pathlib import Path

import pytest

from agcnn_lab.notebook import QUIZZES, Question, check_quiz, quiz_topics, show_quiz

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
# The topics the notebooks (and their helpers) name: notebook 04 calls "crop_from_source".
REQUIRED = {"leakage", "auc", "max_pooling", "crop_from_source", "one_box"}


def _run(capsys, *args):
    result = check_quiz(*args)
    return result, capsys.readouterr().out


def _key(topic):
    return [q.answer for q in QUIZZES[topic]]


def test_the_topics_are_there_and_well_formed():
    assert REQUIRED <= set(QUIZZES) and quiz_topics() == list(QUIZZES)
    for topic, questions in QUIZZES.items():
        assert len(questions) >= 2, topic
        for q in questions:
            assert isinstance(q, Question) and q.prompt.strip() and q.why.strip() and q.hint.strip()
            assert 1 <= q.answer <= len(q.choices) and len(set(q.choices)) == len(q.choices)
        # Not the same choice number throughout: the key is not a pattern to guess.
        assert len({q.answer for q in questions}) > 1, f"{topic}: every answer is choice {questions[0].answer}"


def test_question_checks_its_fields():
    with pytest.raises(ValueError, match="two choices"):
        Question("p", ("only",), 1, "why")
    with pytest.raises(ValueError, match="1..2"):
        Question("p", ("a", "b"), 3, "why")
    with pytest.raises(ValueError, match="1..2"):
        Question("p", ("a", "b"), 0, "why")
    with pytest.raises(ValueError, match="why"):
        Question("p", ("a", "b"), 1, "  ")
    assert Question("p", ["a", "b"], 2, "why").choices == ("a", "b")


@pytest.mark.parametrize("topic", sorted(QUIZZES))
def test_show_quiz_numbers_every_question_and_choice(topic, capsys):
    show_quiz(topic)
    out = capsys.readouterr().out
    for q, question in enumerate(QUIZZES[topic], start=1):
        assert f"Q{q}. {question.prompt}" in out
        for c, choice in enumerate(question.choices, start=1):
            assert f"  {c}) {choice}" in out
    # The answers are not shown.
    for question in QUIZZES[topic]:
        assert question.why not in out


@pytest.mark.parametrize("topic", sorted(QUIZZES))
def test_the_key_passes_and_explains(topic, capsys):
    ok, out = _run(capsys, topic, _key(topic))
    assert ok and out.count("Correct: ") == len(QUIZZES[topic])
    for question in QUIZZES[topic]:
        assert question.why in out
    assert f"{len(QUIZZES[topic])} of {len(QUIZZES[topic])} right" in out


@pytest.mark.parametrize("topic", sorted(QUIZZES))
def test_unanswered_and_wrong_answers_get_a_hint_not_the_answer(topic, capsys):
    questions = QUIZZES[topic]
    ok, out = _run(capsys, topic, [None] * len(questions))
    assert not ok and out.count("No answer yet") == len(questions) and "Correct" not in out
    wrong = [q.answer % len(q.choices) + 1 for q in questions]  # another choice, in range
    ok, out = _run(capsys, topic, wrong)
    assert not ok and out.count("Not yet: ") == len(questions)
    for question in questions:
        assert question.hint in out and question.why not in out
    # One right, the rest open: that one is confirmed, the check still fails.
    ok, out = _run(capsys, topic, [questions[0].answer] + [None] * (len(questions) - 1))
    assert not ok and out.count("Correct: ") == 1 and f"1 of {len(questions)} right" in out


@pytest.mark.parametrize(
    "answers",
    [None, "2, 1, 3", 7, {"a": 1}, object(), [], [None], ["two", True, 2.5, float("nan"), -1, 99, object(), [1]]],
)
def test_nothing_a_learner_types_raises(answers, capsys):
    for topic in QUIZZES:
        ok, out = _run(capsys, topic, answers)
        assert ok is False and out.strip()


def test_answers_as_whole_floats_or_strings_count(capsys):
    key = _key("one_box")
    assert _run(capsys, "one_box", [float(a) for a in key])[0]
    assert _run(capsys, "one_box", [str(a) for a in key])[0]
    assert _run(capsys, "one_box", tuple(key))[0]


def test_too_few_or_too_many_answers_are_said_and_graded(capsys):
    key = _key("crop_from_source")
    ok, out = _run(capsys, "crop_from_source", key[:1])
    assert not ok and f"Expected {len(key)} answers, got 1" in out and "Correct: " in out and "No answer yet" in out
    ok, out = _run(capsys, "crop_from_source", [*key, 1])
    assert ok and "extra ones are ignored" in out


def test_unknown_topics_list_the_known_ones(capsys):
    for topic in ("crop-from-source", None, 3):
        show_quiz(topic)
        assert "No quiz" in capsys.readouterr().out
        ok, out = _run(capsys, topic, [1])
        assert not ok and "'crop_from_source'" in out


def _cells(notebook):
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(notebook.read_text())["cells"]]


def test_the_notebooks_quizzes_name_known_topics_and_their_solutions_are_right():
    """Every check_quiz in a notebook names a topic of QUIZZES with one slot per question, starts
    unanswered, and the solution that follows it holds the key."""
    seen = set()
    for notebook in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        cells = _cells(notebook)
        for kind, source in cells:
            if kind == "code":
                for match in re.finditer(r'(?:show_quiz|check_quiz)\("(\w+)"', source):
                    assert match.group(1) in QUIZZES, f"{notebook.name}: unknown quiz {match.group(1)!r}"
                    seen.add((notebook.name, match.group(1)))
                call = re.search(r'^check_quiz\("(\w+)", (\w+)\)', source, re.M)
                if call:
                    topic, name = call.groups()
                    given = re.search(rf"^{name} = (\[.*\])", source, re.M)
                    assert given, f"{notebook.name}: the answers of {topic!r} are not a list literal"
                    assert ast.literal_eval(given.group(1)) == [None] * len(QUIZZES[topic]), f"{notebook.name}: {topic!r} starts answered or with the wrong length"
            elif kind == "markdown" and source.startswith("<details><summary><b>Solution</b>"):
                for topic, key in re.findall(r'check_quiz\("(\w+)", (\[[^\]]*\])\)', source):
                    assert ast.literal_eval(key) == _key(topic), f"{notebook.name}: the solution of {topic!r} is not the key"
    for name, topic in [("00_data.ipynb", "leakage"), ("01_global_baseline.ipynb", "auc"),
                        ("02_attention_maps.ipynb", "max_pooling"), ("03_crop_threshold.ipynb", "one_box")]:
        assert (name, topic) in seen, f"{name} does not quiz {topic!r}"
