"""What each FAQ problem says, by code, in English and Chinese.

Lint prints the English (``file:line: message``, a contract: these are the messages it always printed); the staff
console's Knowledge base page shows a fund team the same problem in the console's language. A problem carries its
code and the values its words need, so either language can be said later from what an action server stored.
"""

from __future__ import annotations

from collections.abc import Mapping

WORDS: dict[str, dict[str, str]] = {
    # -- a whole file --------------------------------------------------------------------------------------------
    "too_big": {
        "en": "file is {size} bytes, over the {limit} a FAQ file may have: split it",
        "zh": "文件有 {size} 字节，超过了 FAQ 文件的上限 {limit} 字节：请拆分成几个文件",
    },
    "unreadable": {"en": "cannot read file: {reason}", "zh": "无法读取文件：{reason}"},
    "not_utf8": {
        "en": "file is not valid UTF-8 (byte 0x{byte}); save it as UTF-8",
        "zh": "文件不是有效的 UTF-8（字节 0x{byte}）：请另存为 UTF-8 编码",
    },
    "not_utf8_gbk": {
        "en": "file is not valid UTF-8 (byte 0x{byte}; it looks like GBK/GB18030); save it as UTF-8",
        "zh": "文件不是有效的 UTF-8（字节 0x{byte}，看起来是 GBK/GB18030 编码）：请另存为 UTF-8 编码",
    },
    "no_entries": {
        "en": "no entries: a FAQ file needs at least one '## question' heading",
        "zh": "没有条目：FAQ 文件至少需要一个“## 问题”标题",
    },
    "title_after_entry": {
        "en": "a '#' title must come before the first '##' entry; this one is ignored",
        "zh": "“#”标题必须在第一个“##”条目之前；这个标题被忽略",
    },
    "second_title": {
        "en": "only one '#' title is allowed (the first is at line {first}); this one is ignored",
        "zh": "只能有一个“#”标题（第一个在第 {first} 行）；这个标题被忽略",
    },
    "heading_space": {
        "en": "'##' needs a space after it to start an entry",
        "zh": "“##”后面要有一个空格才能开始一个条目",
    },
    "text_before_entries": {
        "en": "text before the first '##' entry is ignored",
        "zh": "第一个“##”条目之前的文字被忽略",
    },
    "unclosed_fence": {
        "en": "code fence '{fence}' is never closed, so everything after it is answer text",
        "zh": "代码块标记“{fence}”没有闭合，它后面的所有内容都成了答案文字",
    },
    # -- one entry -----------------------------------------------------------------------------------------------
    "duplicate_id": {
        "en": "duplicate id '{id}' (first defined at {first})",
        "zh": "id“{id}”重复（首次定义在 {first}）",
    },
    "empty_answer": {"en": "empty answer", "zh": "答案为空"},
    "empty_answer_after_list": {
        "en": "empty answer (the list under the heading holds alternative phrasings; write the answer after it)",
        "zh": "答案为空（标题下面的列表是其他问法；请把答案写在列表之后）",
    },
    "long_answer": {
        "en": "answer is {length} characters; keep it under {limit}",
        "zh": "答案有 {length} 个字符；请控制在 {limit} 个字符以内",
    },
    "no_question": {"en": "heading has no question text", "zh": "标题里没有问题文字"},
    "bad_id": {
        "en": "invalid id '{id}': use lowercase letters, digits, '-' and '_', starting with a letter or digit",
        "zh": "id“{id}”无效：只能用小写字母、数字、“-”和“_”，并以字母或数字开头",
    },
    "empty_phrasing": {"en": "empty alternative phrasing", "zh": "其他问法为空"},
    "duplicate_phrasing": {
        "en": "duplicate phrasing '{text}' (same as line {first}); only the first is kept",
        "zh": "问法“{text}”重复（与第 {first} 行相同）；只保留第一个",
    },
    "looks_chinese": {
        "en": "question looks Chinese but lang is 'en' (missing 'lang: zh' in the front matter?)",
        "zh": "问题看起来是中文，但 lang 是“en”（前言里是否漏了“lang: zh”？）",
    },
    "not_chinese": {
        "en": "question does not look Chinese but lang is 'zh' (wrong 'lang' in the front matter?)",
        "zh": "问题看起来不是中文，但 lang 是“zh”（前言里的“lang”是否写错了？）",
    },
    # -- the front matter ----------------------------------------------------------------------------------------
    "fm_unclosed": {
        "en": "front matter is never closed: add a '---' line after it",
        "zh": "前言没有结束：请在它后面加一行“---”",
    },
    "fm_not_mapping": {
        "en": "front matter must be a mapping of keys to values, not {kind}",
        "zh": "前言必须是“键: 值”的映射，而不是 {kind}",
    },
    "fm_alias": {
        "en": "anchors and aliases (&name, *name) are not allowed in front matter: write values out",
        "zh": "前言里不允许用锚点和别名（&name、*name）：请把值直接写出来",
    },
    "fm_yaml": {"en": "invalid YAML in front matter: {problem}", "zh": "前言里的 YAML 无效：{problem}"},
    "fm_character": {
        "en": "invalid YAML in front matter: character U+{char} is not allowed",
        "zh": "前言里的 YAML 无效：不允许使用字符 U+{char}",
    },
    "fm_unknown_key_close": {
        "en": "unknown front-matter key '{key}' (did you mean '{close}'?)",
        "zh": "未知的前言键“{key}”（是不是想写“{close}”？）",
    },
    "fm_unknown_key": {
        "en": "unknown front-matter key '{key}' (allowed: {allowed})",
        "zh": "未知的前言键“{key}”（可用的键：{allowed}）",
    },
    "fm_duplicate_key": {
        "en": "duplicate front-matter key '{key}' (first at line {first})",
        "zh": "前言键“{key}”重复（第一次在第 {first} 行）",
    },
    "bad_team": {
        "en": "team must be lowercase letters, digits and '-', like 'redemption-desk', not {value}",
        "zh": "team 只能用小写字母、数字和“-”，例如“redemption-desk”，而不是 {value}",
    },
    "bad_lang": {"en": "lang must be 'en' or 'zh', not {value}", "zh": "lang 必须是“en”或“zh”，而不是 {value}"},
    "bad_escalate": {
        "en": "escalate must be true or false, not {value}",
        "zh": "escalate 必须是 true 或 false，而不是 {value}",
    },
    "bad_funds": {
        "en": 'funds must be a list of 6-digit fund codes like ["110022"], not {value}',
        "zh": 'funds 必须是 6 位基金代码的列表，例如 ["110022"]，而不是 {value}',
    },
    "fund_not_string": {
        "en": "fund code must be a string of 6 digits, not {value}",
        "zh": "基金代码必须是 6 位数字的字符串，而不是 {value}",
    },
    "fund_not_six": {"en": "fund code '{fund}' is not 6 digits", "zh": "基金代码“{fund}”不是 6 位数字"},
    "bad_tags": {"en": "tags must be a list of strings, not {value}", "zh": "tags 必须是字符串列表，而不是 {value}"},
    "bad_tag": {
        "en": "each tag must be a non-empty string, not {value}",
        "zh": "每个标签都必须是非空字符串，而不是 {value}",
    },
    # -- a knowledge-gap draft, before it is published -------------------------------------------------------------
    "draft_no_entry": {
        "en": "no entry: write the question as a '## question' heading, then the answer",
        "zh": "没有条目：请把问题写成“## 问题”标题，再写答案",
    },
    "draft_asked_already": {
        "en": "{phrasing} is already asked by entry {entry} ({where}): edit that entry's answer instead, or take this "
        "phrasing out",
        "zh": "问法 {phrasing} 已经是条目 {entry}（{where}）的问题：请改那个条目的答案，或者删掉这个问法",
    },
    "draft_unknown_team": {
        "en": "no team {team} in {teams_file}: its hand-offs would go to the default queue",
        "zh": "{teams_file} 里没有团队 {team}：它的转人工会进入默认队列",
    },
    # -- the synonyms file ---------------------------------------------------------------------------------------
    "synonyms_yaml": {"en": "invalid YAML: {problem}", "zh": "YAML 无效：{problem}"},
    "synonyms_not_list": {"en": "expected a list of word groups", "zh": "应当是一个词组列表"},
    "synonyms_bad_group": {
        "en": "each group is a list of two or more words, like [赎回, 卖出]",
        "zh": "每个词组都是两个或更多词语的列表，例如 [赎回, 卖出]",
    },
    "synonyms_unreadable": {"en": "cannot read the synonyms file: {reason}", "zh": "无法读取同义词文件：{reason}"},
}
LANGS = ("en", "zh")


def say(code: str, params: Mapping[str, str], lang: str = "en") -> str:
    """The problem ``code`` in ``lang`` with its values filled in."""
    return WORDS[code][lang].format(**params)


def translations(code: str, params: Mapping[str, str]) -> dict[str, str]:
    """The problem in every language, or nothing for a code this release does not know (a newer server's)."""
    if code not in WORDS:
        return {}
    try:
        return {lang: say(code, params, lang) for lang in LANGS}
    except (KeyError, IndexError):  # values from another release: the stored English message stands
        return {}


def messages(code: str, params: Mapping[str, str], english: str) -> dict[str, str]:
    """What a stored problem says in each console language: English as lint printed it (``english``), the others from
    its code and values where this release knows them."""
    return {**translations(code, params), "en": english}
