"""Words that tell what an epic's sections and lines are, in the languages epics are written in.

Each table names a class of text, not a single epic: context and goal headings, acceptance
criteria, prerequisites tracked elsewhere, schedules, out-of-scope lists, issue-form questions,
done and postponed markers, and words that state an order.
"""

from __future__ import annotations

import re

SKIP_HEADINGS = {  # section kind -> headings whose lists are not units of work
    "context": r"background|context|contexte|contexto|kontext|hintergrund|контекст|kontekst|overview|summary|"
               r"problem|problème|problema|проблема|description|descripción|descrição|beschreibung|описание|opis|"
               r"motivation|why|goals?|objectives?|objectifs?|objetivos?|ziele?|цели?|cel(?:e)?|purpose|"
               r"hypothesis|hypothèse|hipótesis|hipótese|vision|what this is|about|intro(?:duction)?|"
               r"背景|目标|目的|概述|说明|描述|动机|概要|問題|배경|목표|개요|목적|expected behaviou?r|actual behaviou?r|"
               r"comportamento|comportement|verhalten|steps to reproduce|passos|pasos|"
               r"proposed direction|approach|notes?|备注|メモ|비고",
    "criteria": r"acceptance|success criteria|definition of (?:done|success)|done when|验收|受け入れ|인수|완료 조건|"
                r"crit[eé]rios? de aceita|crit[eé]rios de aceptaci|critères d'acceptation|abnahme|akzeptanz|"
                r"критери|kryteria",
    "outside": r"dependencies|prerequisites?|pr[ée]-?requis|requisitos previos|voraussetzung|blocked by|depends on|"
               r"前置|前提|依赖项|зависимост|zależności|out of scope|non-?goals?|not in scope|不包含|不在范围|范围外|"
               r"スコープ外|범위 외|fuera de alcance|hors (?:périmètre|scope)|nicht im umfang|fora do escopo|"
               r"вне рамок|poza zakresem|references|links?|relevant docs|related|see also|参考|链接|関連|참고|"
               r"enlaces|liens|referências|timeline|schedule|dates|endgame|okr|时间|時間|スケジュール|일정|cronograma|"
               r"calendrier|zeitplan|calendário|сроки|harmonogram|risks?|风险|checklist$",
    "done": r"completed|done|shipped|已完成|完成済|완료|hecho|terminé|erledigt|concluído|выполнено|zrobione",
    "later": r"optional|later|future|nice to have|postponed|deferred|可选|以后|将来|後で|나중|opcional|plus tard|"
             r"später|futuro|позже|później",
}
ORDER = re.compile(
    r"\b(?:order(?:ed)?|sequence|procedure|step by step|in turn)\b|顺序|次序|依次|步骤|手順|順番|순서|orden\b|"
    r"secuencia|ordre|séquence|reihenfolge|der reihe nach|ordem|sequência|порядк|последовательн|kolejno", re.I)
ANY_ORDER = re.compile(r"any order|顺序随意|任意顺序|顺序不限|順不同|순서 무관|cualquier orden|n'importe quel ordre|"
                       r"beliebige[rn]? reihenfolge|qualquer ordem|любом порядке|dowolnej kolejności", re.I)
DONE = re.compile(r"✅|✔️?|☑️?|\b(?:done|shipped|completed|merged|closed|finished)\b|已完成|已合并|完了|완료|"
                  r"\b(?:hecho|terminé|erledigt|concluído|выполнено)\b", re.I)
POSTPONED = re.compile(r"⏭️?|\b(?:postponed|deferred|slipped|out of scope|for now(?:,)? (?:it is )?(?:enough|not needed)|"
                       r"later release)\b|延期|推迟|暂缓|後回し|보류|pospuesto|aplazado|reporté|verschoben|adiado|"
                       r"отложен|przełożon", re.I)
ISSUE_META = re.compile(r"\b(?:this|the|a|esta|essa|a|cette|diese)\s+issue\b", re.I)
LINK_ONLY = re.compile(r"^(?:https?://\S+|\[[^\]]*\]\([^)]*\))$")
MENTION = re.compile(r":[a-z0-9_+-]+:|(?<![\w/])@[\w-]+")
URL = re.compile(r"https?://\S+|\[([^\]]*)\]\([^)]*\)")


def section_kind(heading: str, *, inherited: str = "work") -> str:
    """work, or why a heading's lists are not work: context, criteria, outside, done, later."""
    text = re.sub(r"^[\W\d_]+", "", heading.strip().lower()).rstrip(":： ")
    if heading.strip().endswith(("?", "？")):
        return "context"  # an issue-form question: its answer describes, it does not list work
    if ORDER.search(text) and not re.match(SKIP_HEADINGS["outside"], text):
        return "work"
    for kind, pattern in SKIP_HEADINGS.items():
        if re.match(rf"(?:{pattern})\w*(?:\b|\s|$|[:：(（])", text) or (len(text) <= 12 and re.search(pattern, text)):
            return kind
    return inherited if inherited in ("context", "outside") else "work"


def states_order(text: str) -> bool:
    """True when a heading or lead-in line says its list is an order (steps, procedure, 顺序 …)."""
    return bool(ORDER.search(text)) and not ANY_ORDER.search(text)


def any_order(text: str) -> bool:
    """True when a line says its items may come in any order."""
    return bool(ANY_ORDER.search(text))


def is_done(text: str) -> bool:
    """Marked done: ✅, struck through, or stated shipped/merged/closed."""
    return bool(DONE.search(text))


def is_postponed(text: str) -> bool:
    """Marked postponed, deferred, slipped or not needed for now."""
    return bool(POSTPONED.search(text))


def is_label(text: str) -> bool:
    """A short line that names the list below it (`Tasks:`, `**Stories**`, `第二阶段：`)."""
    return len(text) <= 60 and text.rstrip().endswith((":", "："))


def not_work_line(text: str) -> bool:
    """A list line that is not work whatever its section: a bare link or a checklist about the issue itself."""
    bare = strip_links(text).strip(" -–—*")
    return not bare or bool(LINK_ONLY.match(text.strip())) or bool(ISSUE_META.search(text))


def strip_links(text: str) -> str:
    """Text without URLs, `:emoji:` codes and @mentions (Markdown links keep their text)."""
    return " ".join(MENTION.sub(" ", URL.sub(lambda m: m[1] or " ", text)).split())


def has_words(text: str) -> bool:
    """True when `text` has a letter left in any script."""
    return any(ch.isalpha() for ch in text)
