"""Follow-up questions: a message read in the context of the answer the investor has just read.

"Is there a fee for that?" after an answer on fund conversion asks the conversion fee; read alone
it asks any fee, and a conversation about fund 900001 got that fund's *purchase* fee. "And
900002?" or "赎回呢？" keeps the last question and changes one thing. So when a message refers
back, it is matched together with the question of the entry answered before it (its canonical
question, as the index matches it: never the investor's earlier words, which may hold personal
data):

- *Refers back*: a demonstrative or pronoun (that, it, 这个, 它), an elliptical opening or
  closing ("and …", "what about …", a leading 那, "…呢"), or nothing left to ask but a fund's
  name ("900002?").
  No score decides it: a message that asks something whole is matched alone, as before.
- *Something new*: the investor has read the previous answer, so the follow-up asks something it
  did not. An entry may answer only if the message makes it a better match for the conversation
  than the previous question alone made it (the joined reading scores it above the previous
  question's own reading), which the previous entry practically never is. When the message names
  another fund and nothing else, the fund is what is new, and the same question about that fund
  may answer (the scope already keeps the other fund's entries out).

The decision's thresholds are the knowledge base's own, applied to the joined reading.
Chosen on ``bench/data/shipped_followups_dev*.csv``; ``python -m bench.followups`` reports the
held-out sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from knowledge_base.entries import Entry
from knowledge_base.index import FaqIndex, Scope, Scores
from knowledge_base.question import FollowUp, Reading

Words = Callable[[str], list[str]]  # jieba's words of a run of Chinese (Tokenizer.words)

# "that" as a relative pronoun or a conjunction ("a redemption that I never made") points nowhere.
_EN_BACK = re.compile(
    r"(?<![a-z'])(?:that(?!\s+(?:i|you|we|they|he|she|it|my|your|our|their)\b)|thats|this|it|its|those|these|"
    r"them|they|same)(?![a-z'])",
    re.IGNORECASE,
)
_EN_ELLIPSIS = re.compile(r"^\s*(?:and|also|what about|how about|what if|so)(?![a-z'])", re.IGNORECASE)
# Expletive "it" stands for the clause after it ("how long does it take to open an account", "is it
# possible to buy with a credit card", "why is it that …"): the message says what it is. A bare "how
# long does it take?" has no such clause, and refers back.
_EN_DUMMY_IT = re.compile(
    r"(?<![a-z'])it(?=\s+(?:takes?|took)\b.*\bto\s+[a-z])|(?<=is )it(?=\s+(?:possible|ok|okay|safe|true|normal|"
    r"necessary|required|allowed|worth|legal|better)\s+(?:to|that|for|if)\s)|(?<=why is )it that(?![a-z])",
    re.IGNORECASE,
)
_EN_IT = re.compile(r"(?<![a-z'])its?(?![a-z'])", re.IGNORECASE)  # in a message naming a fund: the fund
_ZH_BACK = frozenset("这个 那个 这只 那只 这笔 那笔 这种 那种 这些 那些 这样 那样 它 它们 其 该 此 这 那".split())
_ZH_IT = frozenset(("它", "它们", "其"))
# 这个月, 这周, 那天: a demonstrative before a time word points at a time, not at a topic.
_ZH_TIME = ("月", "周", "星期", "礼拜", "天", "两天", "几天", "年", "季度", "会儿", "时候")
_ZH_ELLIPSIS_END = re.compile(r"呢(?=[\s?？!！。，,~]|$)")
_ZH_ELLIPSIS_START = ("还有", "同样")
_ZH_THEN_TIME = ("天", "年", "时", "会儿", "次", "个月")
# Chinese context and message are joined as two clauses, so the clause judging keeps them apart.
_JOIN = {"zh": "，", "en": ". "}
_END = "?？!！。.，, "  # the context's own closing punctuation gives way to the join
# What a message that only changes the fund ("and 900002?", "演示货基的呢") holds besides the fund.
_EN_ONLY_FUND = re.compile(r"^(?:and|also|what|about|how|if|so|for|the|same|question|one|too)*$")
_ZH_ONLY_FUND = re.compile(r"^(?:那|那么|还有|同样|也|一样|的|呢|吗|啊|呀|么|嘛|这个|那个|这只|那只)*$")


def refers_back(question: str, lang: str, words: Words, *, names_fund: bool = False) -> bool:
    """Whether a question read from a message (no greetings, no funds) leans on what was said before.
    In a message that names a fund, "it", "its" and 它 stand for that fund ("how does Demo Money
    Market pay out its income").

    ``words``: jieba's words of a Chinese run (这个月 is one word, and "this month" points nowhere).
    """
    if lang == "zh":
        text = question.strip()
        if _ZH_ELLIPSIS_END.search(text) or text.startswith(_ZH_ELLIPSIS_START):
            return True
        if text.startswith("那") and not text[1:].startswith(_ZH_THEN_TIME):  # 那: "then", unless 那天
            return True
        split = words(text)
        following = [*split[1:], ""]
        back = _ZH_BACK - _ZH_IT if names_fund else _ZH_BACK
        return any(w in back and not then.startswith(_ZH_TIME) for w, then in zip(split, following, strict=True))
    if _EN_ELLIPSIS.search(question):
        return True
    text = _EN_DUMMY_IT.sub(" ", question)
    return bool(_EN_BACK.search(_EN_IT.sub(" ", text) if names_fund else text))


@dataclass(frozen=True)
class Answered:
    """What the conversation was last answered: the entry, and the fund the answer was for."""

    entry_id: str
    fund: str | None = None


def only_fund(question: str) -> bool:
    """Whether a message that names a fund asks nothing else: the same question, about that fund."""
    rest = re.sub(r"[\W_]+", "", question.casefold())
    return bool(_EN_ONLY_FUND.fullmatch(rest) or _ZH_ONLY_FUND.fullmatch(rest))


def follow_up(
    question: str,
    lang: str,
    previous: Entry,
    context: str,
    *,
    new_fund: bool,
    words: Words,
    names_fund: bool = False,
) -> FollowUp | None:
    """The follow-up reading of ``question`` after ``previous`` (whose canonical question the index
    matches as ``context``), or None when the question is to be matched alone. ``new_fund``: the
    message is about a fund other than the last answer's; ``names_fund``: the message names one."""
    if question and (previous.lang != lang or not refers_back(question, lang, words, names_fund=names_fund)):
        return None
    if not question and not new_fund:  # nothing asked, no fund named: nothing to follow up
        return None
    text = f"{context.rstrip(_END)}{_JOIN.get(previous.lang, ' ')}{question}" if question else context
    return FollowUp(previous.id, context, text, new_fund and only_fund(question))


def in_context(reading: Reading, fund: str | None, index: FaqIndex, after: Answered | None, words: Words) -> Reading:
    """``reading`` (in a conversation about ``fund``) as a follow-up of the answer ``after``, when it
    refers back to it; else unchanged."""
    row = index.row_of(after.entry_id) if after is not None else None
    if after is None or row is None:  # nothing answered before, or edited away since
        return reading
    asked = reading.fund or fund
    new_fund = asked is not None and asked != after.fund
    entry, context = index.entries[row], index.texts[row][0]
    named = reading.fund is not None
    follows = follow_up(reading.text, reading.lang, entry, context, new_fund=new_fund, words=words, names_fund=named)
    return reading if follows is None else replace(reading, text=follows.text, follows=follows)


def something_new(index: FaqIndex, scores: Scores, follows: FollowUp | None, weight: float, scope: Scope) -> Scores:
    """``scores`` of a follow-up's joined reading, kept for the entries it makes a better match than
    the previous question alone did; all of them when the message only names another fund. ``scores``
    as they are for a message read alone (``follows`` None)."""
    row = index.row_of(follows.previous) if follows is not None else None
    if follows is None or follows.new_fund or row is None:
        return scores
    first = int(np.searchsorted(index.phrase_entry, row))  # the canonical question's own vector
    alone = index.fused(index.vectors[first], follows.context, weight, scope)
    keep = scores.confidence > alone.confidence
    return Scores(np.where(keep, scores.rank, -np.inf), np.where(keep, scores.confidence, -np.inf))
