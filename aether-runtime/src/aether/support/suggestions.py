""" "did you mean 'orders'?": the one way a misspelt name is answered.

Standard library only, so every layer may use it. Names are compared without regard to
case (``CSVDataset`` finds ``CSVDataSet``) and suggested as they are spelt.
"""

from __future__ import annotations

from collections.abc import Iterable

# difflib's own default: below it, suggestions are more often wrong than right.
DEFAULT_CUTOFF = 0.6


def closest(word: str, choices: Iterable[str], *, cutoff: float = DEFAULT_CUTOFF) -> str | None:
    """The choice most like ``word`` (similarity at least ``cutoff``, 0 to 1), or None.

    Ties go to the choice that sorts last, as with ``difflib.get_close_matches``; a choice
    equal to ``word`` but for case always wins.
    """
    import difflib  # on a mistake only: importing it costs every command a few ms

    folded = word.casefold()
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(folded)
    best: tuple[float, str] | None = None
    for choice in choices:
        candidate = choice.casefold()
        if candidate == folded:
            return choice
        matcher.set_seq1(candidate)
        # The quick upper bounds first: a catalog may hold thousands of names.
        if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
            continue
        score = matcher.ratio()
        if score >= cutoff and (best is None or (score, choice) > best):
            best = (score, choice)
    return best[1] if best else None


def suggestion(choice: str) -> str:
    """The words that offer ``choice``: ``did you mean 'choice'?``."""
    return f"did you mean '{choice}'?"


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = DEFAULT_CUTOFF) -> str:
    """``did you mean '<closest choice>'?``, or "" when no choice is close to ``word``.

    Meant for a hint: ``hint=did_you_mean(name, known) or "list them: aether catalog list"``.
    """
    choice = closest(word, choices, cutoff=cutoff)
    return suggestion(choice) if choice is not None else ""
