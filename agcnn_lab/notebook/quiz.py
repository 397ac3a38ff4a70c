"""Short conceptual quizzes for the notebooks: multiple choice, with self-checks.

    from agcnn_lab.notebook import show_quiz, check_quiz
    show_quiz("crop_from_source")                     # prints the numbered questions and choices
    check_quiz("crop_from_source", [2, None, 1])      # one verdict per question, returns a bool

Answers are the numbers `show_quiz` prints (1, 2, 3, ...); None means "not answered yet". As with
the exercises (agcnn_lab.notebook.exercises), a check never raises, whatever it is given: a
notebook runs top to bottom with the quiz cells left as they are. A right answer prints the
reason; a wrong one prints a hint, not the answer.

The reasons (`why`) come from the paper (Guan et al., 2018; ../shared/paper/AGCNN.md in the
project's notes) and from what this package does (agcnn_lab.attention, agcnn_lab.data,
agcnn_lab.evaluate), so that a quiz never teaches something the code does not do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .exercises import _number

__all__ = ["QUIZZES", "Question", "check_quiz", "quiz_topics", "show_quiz"]


@dataclass(frozen=True)
class Question:
    """One multiple-choice question. `answer` is the number of the right choice as show_quiz
    prints it (1 for the first); `why` says why it is right; `hint` is printed for a wrong answer."""

    prompt: str
    choices: tuple[str, ...]
    answer: int
    why: str
    hint: str = "re-read the section the question is about, then try again."

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))
        if len(self.choices) < 2:
            raise ValueError(f"a question needs at least two choices, got {len(self.choices)}")
        if not (isinstance(self.answer, int) and 1 <= self.answer <= len(self.choices)):
            raise ValueError(f"answer must be a choice number in 1..{len(self.choices)}, got {self.answer!r}")
        if not self.why.strip():
            raise ValueError("a question needs its explanation (why)")


QUIZZES: dict[str, list[Question]] = {
    # --- 00_data ---------------------------------------------------------------------------
    "leakage": [
        Question(
            "The paper splits ChestX-ray14 70/10/20 at random by IMAGE. Why can that make the test AUC optimistic?",
            (
                "By chance, more of the easy findings land in the test part than in a split by patient.",
                "Patients have several films (3.6 on average), so most patients with several films land in both parts: "
                "the network can recognise the person (ribs, devices, markers), not the disease.",
                "An image-level split gives a smaller test part than a patient-level one, so its AUC comes out high.",
                "Random splits change the label frequencies of the training part, and the network fits the test part's.",
            ),
            2,
            "the image-level split puts thousands of patients on both sides (data.summary.leakage_table); a split by "
            "patient, or the release's official lists, puts none. Numbers from different splits are not comparable.",
            "what do the films of one patient share, and where do they end up in a random split of images?",
        ),
        Question(
            "Why does the network have one sigmoid per finding (14 independent yes/no outputs) instead of one softmax over 14?",
            (
                "A softmax over 14 outputs trains more slowly and needs a larger learning rate than 14 sigmoids.",
                "Sigmoids let the network learn the rare findings without positive examples.",
                "With a softmax, 'No Finding' could not be added as the paper's 15th output.",
                "A film can carry several findings at once (Effusion with Atelectasis, ...); a softmax makes the findings "
                "compete for one unit of probability.",
            ),
            4,
            "ChestX-ray14 is multi-label (labels_per_image: over 20,000 of its 112,120 films carry two or more findings), so "
            "each finding is its own binary problem, trained with binary cross-entropy averaged over the outputs.",
            "count the films with two or more findings in the table of section 1.2.",
        ),
        Question(
            "Hernia is on 0.2% of the films. Why does the field report the AUC per finding rather than accuracy?",
            (
                "Accuracy cannot be computed when a film has several labels.",
                "The AUC is taken at the threshold 0.5, which suits rare findings better than accuracy does.",
                "Always answering 'no Hernia' is 99.8% accurate; the AUC asks whether positive films are ranked above "
                "negative ones, whatever the prevalence.",
                "The AUC weighs the positive films more heavily, which makes up for Hernia's rarity.",
            ),
            3,
            "with such imbalance a useless classifier has a high accuracy; the AUC (the chance that a random positive "
            "is scored above a random negative) is not moved by the prevalence, and the paper reports its mean over the 14.",
            "what accuracy does a model get that answers 'no' for every film?",
        ),
    ],
    # --- 01_global_baseline ----------------------------------------------------------------
    "auc": [
        Question(
            "The global branch reaches a test AUC of 0.80 on Nodule. What does that mean?",
            (
                "A randomly drawn Nodule-positive test film is scored above a randomly drawn negative one 80% of the time.",
                "At the threshold 0.5, 80% of the test films are classified correctly for Nodule.",
                "At its best threshold, the branch detects 80% of the Nodule-positive test films.",
                "The branch's Nodule probabilities are right 80% of the time on average.",
            ),
            1,
            "the AUC is the area under the ROC curve, which equals the share of (positive, negative) pairs ranked the "
            "right way round (exercise 1 computes it by hand); it involves no threshold.",
            "the AUC involves no threshold: what does it compare?",
        ),
        Question(
            "A finding has 4 positive test films; its AUC is 0.95 with a 95% bootstrap interval of 0.80-1.00. What follows?",
            (
                "The branch is excellent at this finding: 0.95 is above the paper's best AUC for any finding.",
                "The interval must be wrong: with an AUC of 0.95 its lower end cannot be as low as 0.80.",
                "Little: with 4 positives, one film more or less moves the AUC a lot, which the wide interval says.",
                "The finding should be left out of the mean AUC, as the paper leaves out 'No Finding'.",
            ),
            3,
            "the interval comes from resampling the test films (1,000 times); with few positives the AUC jumps with "
            "every resample. Read an AUC together with its interval, and the mean over the 14 with its own.",
            "what happens to the AUC when one of the 4 positives is left out of a resample?",
        ),
        Question(
            "Stage I keeps the weights of one epoch. Which split picks it, and why that one?",
            (
                "The test split: it is the largest, so its mean AUC is the most reliable guide.",
                "The validation split (best validation mean AUC): the test split is read once, at the end, or its score "
                "is optimistic.",
                "The training split: its loss is the least noisy, and the lowest loss marks the best epoch.",
                "None: the last epoch is kept, since the learning rate has dropped by then.",
            ),
            2,
            "each stage keeps the epoch with the best validation mean AUC, as in the paper; choosing on the test split "
            "would tune to it, as choosing tau on it would (notebook 03 chooses tau on validation too).",
            "which split is read only once, in section 3?",
        ),
    ],
    # --- 02_attention_maps -----------------------------------------------------------------
    "max_pooling": [
        Question(
            "The global branch pools each last feature map by its MAXIMUM (the paper's Pool5), where ImageNet "
            "classifiers take the average. Why does the max suit a small lesion?",
            (
                "The max is cheaper to compute than the average, which matters with 2,048 maps a film.",
                "The max smooths the feature maps, so a lesion's response spreads over its neighbours.",
                "A nodule lights up a cell or two of the grid; the max keeps that peak whole, the average divides it by "
                "the number of cells (01: a spot of 9 gives max 9, average 1).",
                "The average cannot be back-propagated through a frozen backbone; the max can.",
            ),
            3,
            "max pooling answers 'is this pattern anywhere in the film?'; an average dilutes a small, strong response "
            "over the whole film, so a few-pixel lesion barely moves the pooled value.",
            "compare the two pooled values of notebook 01's small bright spot.",
        ),
        Question(
            "AG-CNN's heatmap is H(x, y) = max_k |f_k(x, y)| over the K channels. What does the max over channels keep "
            "that the mean of |f_k| (the paper's 'L1') weakens?",
            (
                "A place where ONE channel fires strongly stays hot; the mean spreads that response over the K channels "
                "(1,280 for MobileNetV2, 2,048 for ResNet-50), most of them silent there.",
                "Nothing: on post-ReLU maps the max and the mean of |f_k| give the same scaled map.",
                "The max needs no scaling to [0, 1], so tau means the same on every film.",
                "The max picks the channel of the most likely finding, so the map follows the predicted class.",
            ),
            1,
            "the max keeps the strongest single response at each place; L1 and L2 average over channels. The paper "
            "reports nearly the same final AUC for max, L1 and L2 (0.868, 0.868, 0.867), but the maps and their boxes "
            "differ (sections 3 and 4).",
            "one channel at 10, the other 1,279 at 0: what are the max and the mean?",
        ),
        Question(
            "Why the absolute value |f_k|, and not the signed channel sum a public re-implementation uses?",
            (
                "The last block's maps are mostly negative, so their sum would be near zero everywhere.",
                "|f| is cheaper than a sum over the channels.",
                "The signed sum needs the class's weights, like Grad-CAM, and AG-CNN's map has no class.",
                "Before a ReLU, maps can be signed: a strong negative response is still a response, while in a sum signed "
                "channels cancel (section 1: the sum turns max's hottest cell into the coldest).",
            ),
            4,
            "|f_k| counts a strong response whatever its sign; the signed sum lets channels cancel. On post-ReLU maps "
            "(all f_k >= 0) the sum equals L1 up to scale (attention.heatmap).",
            "look at the cell (row 1, column 0) of the example, where the third channel is -6.",
        ),
    ],
    # --- 03_crop_threshold -----------------------------------------------------------------
    "one_box": [
        Question(
            "A film shows an effusion at the base of BOTH lungs (bilateral). What does AG-CNN's crop do with it?",
            (
                "It cuts one box per lung, since the mask has two separate regions above tau.",
                "It cuts one box per labelled finding and resizes each for the local branch.",
                "It skips the film in stage II: a mask with two regions gives no box.",
                "It keeps ONE box, around the largest connected region above tau: one side only (the other finding is cut "
                "away), or, at a low tau, a region across both sides: nearly the whole film, and no zoom.",
            ),
            4,
            "the crop has no class and no second box: one mask, its largest 8-connected region, one box "
            "(attention.attention_boxes). Bilateral findings, or nodules in both lungs, do not fit one small box.",
            "how many boxes does attention_boxes return per film?",
        ),
        Question(
            "The tau sweep reports `hit` (every lesion) and `hit_single` (lesions alone on their film). Why does `hit` "
            "fall faster as the box shrinks?",
            (
                "Single lesions are larger, so a small box still holds their centre.",
                "`hit` is computed at a higher tau than `hit_single`, so its boxes are smaller.",
                "On a film with lesions in both lungs no small box holds them all: `hit` counts the left-out one as a miss "
                "even when the heatmap found the other; `hit_single` asks whether it found THE lesion.",
                "`hit_single` is scored against a fixed box, not the heatmap's, so it cannot fall.",
            ),
            3,
            "the phantom boxes every lesion (about 1.7 a lesion film), while NIH's box list is nearly one box a film; "
            "the single-lesion films are the ones comparable with the paper's setting (evaluate.localisation).",
            "what can a single box do on a film with two lesions far apart?",
        ),
        Question(
            "The hottest cell of a film's heatmap lies on a nodule, yet the box misses the nodule. How?",
            (
                "The box comes from the LARGEST connected region above tau, not from the region holding the hottest cell: "
                "a wide warm area elsewhere outnumbers the nodule's cell or two.",
                "It cannot happen: the box is grown around the hottest cell until the mask ends.",
                "The heatmap is flipped left-right before thresholding, so the box lands in the other lung.",
                "The nodule is smaller than the minimum box side, so its box is dropped.",
            ),
            1,
            "largest_component keeps the region with the most cells above tau, whatever their values: size wins, not "
            "heat. Notebook 02's hits and misses show it on validation films.",
            "which region does largest_component keep: the hottest or the biggest?",
        ),
    ],
    # --- 04_local_branch -------------------------------------------------------------------
    "crop_from_source": [
        Question(
            "Why is the local branch's crop cut from the high-resolution SOURCE (512 px in the cpu profile, 1024 px in "
            "the paper) and not from the global branch's resized input (128 px in the cpu profile, 224 px in the paper)?",
            (
                "The source shows findings that the resize removed from the label table.",
                "The global input is flipped in training and the source never is, so only boxes on the source are right.",
                "Cut from the input, the crop is an upsampled patch of it: more pixels, no finer detail. Cut from the "
                "source, a small box brings back detail the resize lost: that is the zoom.",
                "Cropping the source is faster, since it is cached as uint8.",
            ),
            3,
            "resizing a cut of the input adds pixels, not detail; the detail a crop can show is capped by what it is "
            "cut from (attention.crop maps the box through the input's frame to the source). The paper leaves open "
            "which one it crops; the re-implementations found online all crop the 224-px input.",
            "can a resized patch of the 128-px input show anything the 128-px input did not?",
        ),
        Question(
            "The configuration `model.attention.crop_from = \"input\"` cuts the same box out of the global input. "
            "What does training with it test?",
            (
                "Whether the zoom's extra resolution matters: the same box and crop size, but no detail beyond the "
                "global input's.",
                "Whether the heatmap points at the lesion, since the box is then drawn on the input instead.",
                "Whether the local branch needs its own weights, since it then shares the global branch's.",
                "Nothing: the input and the source show the same film, so the crops are the same.",
            ),
            1,
            "with crop_from='input' the local branch still sees the attended region, enlarged, but at the global "
            "input's detail; the gap to crop_from='source' is what the high-resolution cut adds.",
            "what differs between the two crops, and what stays the same?",
        ),
        Question(
            "The whole-film control (`crop_from=\"whole\"`, trained unless `--no-control`) feeds the local branch the "
            "whole film at the crop's size. What does the crop-minus-control difference isolate?",
            (
                "The effect of the ImageNet weights, since the control's local branch starts from scratch.",
                "The effect of the box itself: both local branches start from the same weights and train the same epochs "
                "on the same number of pixels; only the box differs.",
                "The effect of the source's resolution alone, since the control reads the global input.",
                "The effect of the fusion layer, since the control has none.",
            ),
            2,
            "a local branch can beat the global one for reasons other than attention: more epochs from the trained "
            "global weights (local_from_global), more pixels. The control keeps those and drops the box; BENCHMARKS.md "
            "found that most of the first edition's gain was extra training, not the box.",
            "list what the crop and the control share; what is left?",
        ),
    ],
}


def quiz_topics() -> list[str]:
    """The topics of QUIZZES, in the order of the notebooks."""
    return list(QUIZZES)


def _questions(topic) -> list[Question] | None:
    questions = QUIZZES.get(topic) if isinstance(topic, str) else None
    if questions is None:
        print(f"No quiz {topic!r}: choose one of {', '.join(map(repr, QUIZZES))}.")
    return questions


def show_quiz(topic: str) -> None:
    """Print the questions of `topic`, numbered, each with its numbered choices."""
    questions = _questions(topic)
    if questions is None:
        return
    print(f"Quiz '{topic}': {len(questions)} questions. Answer with the number of a choice.")
    for q, question in enumerate(questions, start=1):
        print(f"\nQ{q}. {question.prompt}")
        for c, choice in enumerate(question.choices, start=1):
            print(f"  {c}) {choice}")


def _choice(answer, count: int) -> int | None:
    """The choice number of `answer` (an int, or a float or string holding one), or None."""
    if isinstance(answer, bool):
        return None
    value = _number(answer)
    if value is None or not value.is_integer() or not 1 <= value <= count:
        return None
    return int(value)


def check_quiz(topic: str, answers: Sequence[int | None]) -> bool:
    """Print a verdict per question of `topic`: 'Correct' and why, 'Not yet' and a hint, or 'No
    answer yet' for None. True when every question is answered right; never raises."""
    questions = _questions(topic)
    if questions is None:
        return False
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        print(f"Expected a list of {len(questions)} choice numbers (None for unanswered), got {answers!r}.")
        return False
    answers = list(answers)
    if len(answers) != len(questions):
        print(f"Expected {len(questions)} answers, got {len(answers)}: missing ones count as unanswered, extra ones are ignored.")
    right = 0
    for q, question in enumerate(questions, start=1):
        given = answers[q - 1] if q - 1 < len(answers) else None
        if given is None or given is ...:
            print(f"Q{q}. No answer yet: replace None with a choice number.")
            continue
        choice = _choice(given, len(question.choices))
        if choice is None:
            print(f"Q{q}. Not yet: answer with a choice number from 1 to {len(question.choices)}, got {given!r}.")
        elif choice == question.answer:
            right += 1
            print(f"Q{q}. Correct: {question.why}")
        else:
            print(f"Q{q}. Not yet: {question.hint}")
    print(f"{right} of {len(questions)} right.")
    return right == len(questions)
