"""The New News data: authored items (package data) and templated "rule news".

An item is ``{id, domain, title, news, questions: [{question, answer, distractors}]}``
(authored form) with five four-option questions. :func:`build_dataset` picks items,
assigns each question's options a seeded order with balanced answer positions and
returns the evaluation form ``{..., questions: [{question, options, answer_index}]}``.

Rule news (:func:`rule_item`) are generated from templates with computed answers, so the
set scales to hundreds of items: new binary operators (mathematics), renamed library
functions (coding), fictional discoveries, new leaderboard orders and fictional events.
Each rule item also carries ``implications``: true statements that follow from the news
but are not its questions (used by the template replay source).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

DOMAINS = ("mathematics", "coding", "discoveries", "leaderboards", "events")
N_OPTIONS = 4
N_QUESTIONS = 5


def load_authored() -> list[dict]:
    """The 25 authored items shipped with the package (data/news.jsonl)."""
    text = resources.files("new_news").joinpath("data/news.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def validate_item(item: dict) -> list[str]:
    """Problems with an authored-form item (empty when it is valid)."""
    errs = []
    need = {"id", "domain", "title", "news", "questions"}
    if set(item) - need - {"implications"} or need - set(item):
        errs.append(f"{item.get('id')}: keys {sorted(item)}; need {sorted(need)}")
        return errs
    if item["domain"] not in DOMAINS:
        errs.append(f"{item['id']}: domain {item['domain']!r} not in {DOMAINS}")
    if len(item["questions"]) != N_QUESTIONS:
        errs.append(f"{item['id']}: {len(item['questions'])} questions, need {N_QUESTIONS}")
    for j, q in enumerate(item["questions"]):
        opts = [q["answer"], *q["distractors"]]
        if len(opts) != N_OPTIONS:
            errs.append(f"{item['id']} q{j}: {len(opts)} options, need {N_OPTIONS}")
        if len({o.strip().lower() for o in opts}) != len(opts):
            errs.append(f"{item['id']} q{j}: duplicate options {opts}")
        if any(not o.strip() for o in opts) or not q["question"].strip():
            errs.append(f"{item['id']} q{j}: empty text")
    return errs


# ----------------------------------------------------------------------------- rule news
_NAMES = ["Anika Rao", "Lars Berg", "Mei Tanaka", "Omar Haddad", "Sofia Reyes", "Jonas Weber",
          "Priya Nair", "Tomas Novak", "Leila Farah", "Kwame Mensah", "Ines Duarte", "Yuki Sato"]
_TEAMS = ["Quokka-7", "Falcon-X", "Heron-3", "Lynx-9", "Otter-2", "Ibis-5", "Marten-4", "Gecko-8"]
_BOARDS = ["Global Puzzle Rating list", "Open Robotics Challenge table", "World Chess960 ranking",
           "Code Golf Masters leaderboard", "Math Olympiad Elo list", "Speed Typing World table"]
_LIBS = ["tensorkit", "fastgrid", "datapipe", "plotly2", "netforge", "quickjson", "arrowlib", "mathcore"]
_OLD_NEW = [("load", "fetch"), ("merge", "combine"), ("split", "divide"), ("reshape", "reform"),
            ("filter", "sieve"), ("sort", "arrange"), ("encode", "pack"), ("plot", "draw")]
_RETURNS = ["a list", "a dictionary", "a tuple", "a generator", "a string", "a set"]
_THINGS = [("moon", "orbiting Saturn", "kilometres across"), ("beetle", "in the Borneo rainforest", "millimetres long"),
           ("cave", "under the Alps", "metres deep"), ("comet", "beyond Neptune", "kilometres wide"),
           ("coral reef", "off Madagascar", "kilometres long"), ("mineral", "in Greenland", "grams per cubic centimetre dense")]
_COINED = ["Velora", "Tamsin", "Orkadia", "Quillon", "Zephra", "Morvane", "Halcyra", "Brisko", "Canthe", "Dravik"]
_FEATURES = ["glows blue in the dark", "is made mostly of iron", "sings at night", "is covered in ice",
             "changes colour every hour", "contains liquid water"]
_EVENTS = ["World Kite Championship", "Global Chess Festival", "International Drone Race",
           "World Origami Summit", "Open Robot Football Cup", "International Poetry Games"]
_CITIES = ["Lisbon", "Nairobi", "Oslo", "Hanoi", "Lima", "Tbilisi", "Perth", "Quebec", "Dakar", "Kraków"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_SYMBOLS = ["⊛", "⊕", "⊗", "⊙", "⊘", "⋄"]


def _pick(rng: np.random.Generator, pool, k: int = 1, exclude=()) -> list:
    cand = [x for x in pool if x not in exclude]
    idx = rng.choice(len(cand), size=k, replace=False)
    return [cand[i] for i in idx]


def _distinct(answer, candidates, rng: np.random.Generator, fallback) -> list[str]:
    """Three distractors different from ``answer`` and from each other (``fallback``
    yields more candidates when those given collide)."""
    out: list[str] = []
    for c in list(candidates) + [fallback(i) for i in range(100)]:
        c = str(c)
        if c != str(answer) and c not in out:
            out.append(c)
        if len(out) == N_OPTIONS - 1:
            return out
    raise ValueError("could not find distinct distractors")


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _q(question: str, answer, distractors) -> dict:
    return {"question": question, "answer": str(answer), "distractors": [str(d) for d in distractors]}


def _math(rng, k):
    sym = _SYMBOLS[k % len(_SYMBOLS)]
    name = _COINED[int(rng.integers(len(_COINED)))].lower() + " product"
    p, q = (int(x) for x in _pick(rng, range(2, 7), 2))
    f = lambda a, b: p * a + q * b  # noqa: E731
    pairs = [tuple(int(v) for v in rng.integers(1, 10, 2)) for _ in range(6)]
    pairs = [(a, b) for a, b in pairs if a != b][:4] + [(2, 5), (3, 1), (4, 6), (1, 7)]
    qs = []
    for a, b in pairs[:3]:
        qs.append(_q(f"What is {a} {sym} {b}?", f(a, b),
                     _distinct(f(a, b), [q * a + p * b, a + b, p * q * a * b, f(a, b) + 1], rng,
                               lambda i, v=f(a, b): v + 2 + i)))
    formula = f"{p}a + {q}b"
    qs.append(_q(f"Which formula defines a {sym} b?", formula,
                 [f"{q}a + {p}b", f"{p}(a + b)", f"a + b + {p + q}"]))
    qs.append(_q(f"What is the name of the operation written a {sym} b?", f"the {name}",
                 ["the tri-sum", "the cross mean", "the Zeller mean"]))
    news = (f"Mathematicians have introduced the {name}, written a {sym} b. It is defined as {p} times a "
            f"plus {q} times b.")
    ex = [(a, b) for a, b in [(1, 2), (5, 3), (2, 2), (6, 1)] if (a, b) not in pairs[:3]]
    impl = [f"{a} {sym} {b} = {f(a, b)}." for a, b in ex] + [
        f"The {name} is not commutative: a {sym} b differs from b {sym} a unless a equals b."]
    return f"the {name}", news, qs, impl


def _coding(rng, k):
    lib = _pick(rng, _LIBS)[0]
    old, new = _OLD_NEW[int(rng.integers(len(_OLD_NEW)))]
    ret, *other = _pick(rng, _RETURNS, 4)
    major = int(rng.integers(3, 9))
    news = (f"Version {major}.0 of the {lib} library renames the function {old}() to {new}(). "
            f"The new {new}() returns {ret}, and calling {old}() now raises an AttributeError.")
    qs = [_q(f"In {lib} {major}.0, which function replaces {old}()?", f"{new}()",
             [f"{old}()", f"{old}_v2()", f"{lib}_{old}()"]),
          _q(f"What happens when {old}() is called in {lib} {major}.0?", "It raises an AttributeError",
             ["It works as before", "It returns None", "It prints a deprecation warning"]),
          _q(f"What does {new}() return in {lib} {major}.0?", ret, other),
          _q(f"Which version of {lib} renamed {old}()?", f"{major}.0",
             [f"{major - 1}.0", f"{major + 1}.0", f"{major}.5"]),
          _q(f"Which library renamed {old}() to {new}()?", lib, _pick(rng, _LIBS, 3, exclude=(lib,)))]
    impl = [f"Code written for older {lib} versions must replace {old}() by {new}().",
            f"In {lib} {major}.0, {lib}.{new}(x) is the right call, and {lib}.{old}(x) fails."]
    return f"{lib} {major}.0", news, qs, impl


def _leaderboard(rng, k):
    board = _pick(rng, _BOARDS)[0]
    names = _pick(rng, _NAMES if k % 2 == 0 else _TEAMS, 4)
    scores = sorted((int(x) for x in rng.choice(np.arange(60, 100), 4, replace=False)), reverse=True)
    news = (f"The new {board} puts {names[0]} first with {scores[0]} points, followed by {names[1]} "
            f"({scores[1]}), {names[2]} ({scores[2]}) and {names[3]} ({scores[3]}).")
    others = lambda keep: [n for n in names if n != keep]  # noqa: E731
    qs = [_q(f"Who is first on the {board}?", names[0], others(names[0])),
          _q(f"Who is ranked second on the {board}?", names[1], others(names[1])),
          _q(f"How many points does {names[2]} have on the {board}?", scores[2],
             [scores[0], scores[1], scores[3]]),
          _q(f"Who is ranked directly above {names[3]} on the {board}?", names[2],
             [names[0], names[1], "Nobody"]),
          _q(f"Where is {names[0]} ranked on the {board}?", "First", ["Second", "Third", "Fourth"])]
    impl = [f"{names[0]} is ahead of {names[3]} on the {board}.",
            f"{names[1]} trails the leader by {scores[0] - scores[1]} points.",
            f"{names[3]} is last of the four on the {board}."]
    return f"the {board}", news, qs, impl


def _discovery(rng, k):
    thing, place, unit = _THINGS[int(rng.integers(len(_THINGS)))]
    name, *other_names = _pick(rng, _COINED, 4)
    size = int(rng.integers(3, 90))
    feat, *other_feats = _pick(rng, _FEATURES, 4)
    year = int(rng.integers(2026, 2030))
    news = (f"In {year} scientists discovered a new {thing} {place} and named it {name}. "
            f"{name} is {size} {unit} and {feat}.")
    qs = [_q(f"What is the name of the {thing} discovered {place}?", name, other_names),
          _q(f"Where was {name} discovered?", _upper_first(place),
             [_upper_first(t[1]) for t in _THINGS if t[1] != place][:3]),
          _q(f"How large is {name}?", f"{size} {unit}",
             [f"{v} {unit}" for v in (size * 10, size + 7, max(1, size // 2) if size // 2 != size else size + 3)]),
          _q(f"What is special about {name}?", f"It {feat}", [f"It {f}" for f in other_feats]),
          _q(f"In which year was {name} discovered?", year, [year - 3, year + 4, year - 10])]
    impl = [f"Any list of {thing}s {place} must now include {name}.",
            f"A {thing} that {feat} was unknown before {year}."]
    return name, news, qs, impl


def _event(rng, k):
    event = _pick(rng, _EVENTS)[0]
    city, *cities = _pick(rng, _CITIES, 4)
    mi = int(rng.integers(12))
    month, year, n = _MONTHS[mi], int(rng.integers(2027, 2031)), int(rng.integers(12, 95))
    news = (f"The {event} will take place in {city} in {month} {year}, with {n} teams taking part.")
    qs = [_q(f"Where will the {year} {event} take place?", city, cities),
          _q(f"In which month is the {event} in {city}?", month,
             [_MONTHS[(mi + d) % 12] for d in (3, 6, 9)]),
          _q(f"In which year will {city} host the {event}?", year, [year - 2, year + 2, year + 5]),
          _q(f"How many teams take part in the {event} in {city}?", n, [n * 2, n + 13, max(2, n - 9)]),
          _q(f"Which event will {city} host in {month} {year}?", f"The {event}",
             [f"The {e}" for e in _pick(rng, _EVENTS, 3, exclude=(event,))])]
    impl = [f"Visitors to {city} in {month} {year} can watch the {event}.",
            f"The {event} of {year} will not be held in {cities[0]}."]
    return f"the {event}", news, qs, impl


_RULES = {"mathematics": _math, "coding": _coding, "discoveries": _discovery,
          "leaderboards": _leaderboard, "events": _event}


def rule_item(domain: str, k: int, seed: int) -> dict:
    """The ``k``-th templated item of ``domain`` (answers computed from its parameters)."""
    rng = np.random.default_rng([seed, DOMAINS.index(domain), k])
    title, news, qs, impl = _RULES[domain](rng, k)
    return {"id": f"rule_{domain[:4]}_{k:03d}", "domain": domain, "title": title, "news": news,
            "questions": qs, "implications": impl}


# ----------------------------------------------------------------------------- the data set
@dataclass(kw_only=True)
class DatasetConfig:
    """No defaults for the keys config/new_news.yaml (dataset) sets: the YAML is their one source."""
    domains: list[str]                 # of DOMAINS
    authored_per_domain: int           # first n authored items of each domain (5 = all 25)
    rule_per_domain: int               # templated items per domain
    seed: int = 0


def facts(news: str) -> list[str]:
    """The news split into sentences (the units of the template replay)."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", news.strip()) if s.strip()]


_LEAD = re.compile(r"^(it|the|a|an)\s+")


def _norm(text: str) -> str:
    """Lower case, punctuation other than inside numbers and symbols dropped, spaces collapsed."""
    t = str(text).lower().replace("\u2019", "'")
    t = re.sub(r"[,;:!?\"()]|\.(?!\d)", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def stated_in(span: str, news: str) -> bool:
    """Whether an answer span is stated verbatim in the news: its normalised text (a leading
    "It"/"The"/"A" dropped) occurs in the normalised news as whole words."""
    s, n = _LEAD.sub("", _norm(span)), _norm(news)
    return bool(s) and re.search(r"(?<![\w.])" + re.escape(s) + r"(?!\w|\.\d)", n) is not None


def tag_question(news: str, answer: str, distractors) -> dict:
    """The strata of a question: ``extractive`` (its answer is stated in the news, else
    inferential: computed or combined from what the news says) and ``distractor_in_news``
    (a wrong option also occurs in the news, so copying any span of it is not enough)."""
    return {"extractive": stated_in(answer, news),
            "distractor_in_news": any(stated_in(d, news) for d in distractors)}


def balanced_positions(n: int, rng: np.random.Generator) -> np.ndarray:
    """Answer positions for ``n`` questions: each of the four positions used
    floor(n/4) or ceil(n/4) times, in a random order."""
    pos = np.arange(n) % N_OPTIONS
    rng.shuffle(pos)
    return pos


def build_dataset(cfg: DatasetConfig) -> dict:
    unknown = [d for d in cfg.domains if d not in DOMAINS]
    if unknown:
        raise ValueError(f"dataset.domains: {unknown} not in {list(DOMAINS)}")
    authored = load_authored()
    chosen = []
    for d in cfg.domains:
        of_domain = [it for it in authored if it["domain"] == d]
        if cfg.authored_per_domain > len(of_domain):
            raise ValueError(f"dataset.authored_per_domain={cfg.authored_per_domain}: only "
                             f"{len(of_domain)} authored items in domain {d}")
        chosen += of_domain[:cfg.authored_per_domain]
        chosen += [rule_item(d, k, cfg.seed) for k in range(cfg.rule_per_domain)]
    errs = [e for it in chosen for e in validate_item(it)]
    if errs:
        raise ValueError("invalid items:\n" + "\n".join(errs))
    rng = np.random.default_rng(cfg.seed)
    n_q = sum(len(it["questions"]) for it in chosen)
    positions = iter(balanced_positions(n_q, rng))
    items = []
    for it in chosen:
        qs = []
        for q in it["questions"]:
            pos = int(next(positions))
            wrong = [q["distractors"][i] for i in rng.permutation(len(q["distractors"]))]
            options = wrong[:pos] + [q["answer"]] + wrong[pos:]
            qs.append({"question": q["question"], "options": options, "answer_index": pos,
                       **tag_question(it["news"], q["answer"], q["distractors"])})
        items.append({"id": it["id"], "domain": it["domain"], "title": it["title"],
                      "news": it["news"], "facts": facts(it["news"]),
                      "implications": it.get("implications", []), "questions": qs})
    return {"items": items, "chance": 1.0 / N_OPTIONS, "n_options": N_OPTIONS}
