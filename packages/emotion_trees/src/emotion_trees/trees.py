"""Emotion trees from next-token probabilities (the paper's Sec. 2 method).

Per prompt, ``Y[n, a]`` is the probability the model gives label ``a`` as the next
token; in the paper's top-k mode only labels among the top-k tokens count (ranks
whose token, decoded alone and stripped, equals a label), in the dense mode every
single-token label counts. Then

    C = Y^T Y with a zero diagonal   (= sum over prompts and rank pairs i<j of p_i p_j)
    freq[a] = sum_b C[a, b]
    a is a child of b  iff  P(b|a) = C[a,b]/freq[a] > t  and  P(a|b) < P(b|a)

followed by the paper's cleanup: a node with exactly two parents keeps the first
inserted one, and grandparent / great-grandparent shortcut edges are removed when
a path through the parent exists. Insertion order is the order in which labels and
label pairs first co-occur when the prompts are scanned row by row and rank pair by
rank pair (i < j), as in the authors' dictionary-based loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

BIG = np.iinfo(np.int64).max


def topk_label_matrix(tokens: np.ndarray, probs: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    """``Y`` (N x L) and ``rank`` (N x L, first rank of each label, -1 if absent) from
    decoded top-k tokens; a label met at several ranks sums their probabilities."""
    index = {lab: j for j, lab in enumerate(labels)}
    n, k = tokens.shape
    Y = np.zeros((n, len(labels)), np.float64)
    rank = np.full((n, len(labels)), -1, np.int64)
    for r in range(n):
        for c in range(k):
            j = index.get(str(tokens[r, c]).strip())
            if j is not None:
                Y[r, j] += float(probs[r, c])
                if rank[r, j] < 0:
                    rank[r, j] = c
    return Y, rank


def topk_token_matrix(ids: np.ndarray, tokens: np.ndarray, probs: np.ndarray, labels
                      ) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The authors' token-id keying: ``Y`` (N x M) and ``rank`` over the M distinct token ids
    whose decoded string, stripped, is a label (columns in order of first appearance, row by
    row, rank by rank), with each column's decoded string (its node name) and label. An id
    occurs at most once in a row of top-k ids, so each column holds one rank per row."""
    want = set(labels)
    col: dict[int, int] = {}
    names, labs = [], []
    n, k = ids.shape
    entries = []
    for r in range(n):
        for c in range(k):
            lab = str(tokens[r, c]).strip()
            if lab in want:
                tid = int(ids[r, c])
                if tid not in col:
                    col[tid] = len(names)
                    names.append(str(tokens[r, c]))
                    labs.append(lab)
                entries.append((r, col[tid], c, float(probs[r, c])))
    Y = np.zeros((n, len(names)), np.float64)
    rank = np.full((n, len(names)), -1, np.int64)
    for r, j, c, p in entries:
        if rank[r, j] >= 0:
            raise ValueError(f"token id of column {j} occurs twice in row {r} of the top-k ids")
        Y[r, j], rank[r, j] = p, c
    return Y, rank, names, labs


def dense_ranks(Y: np.ndarray) -> np.ndarray:
    """Ranks of labels by descending probability within each row (-1 where Y is 0)."""
    order = np.argsort(-Y, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(Y.shape[1])[None, :].repeat(len(Y), 0), axis=1)
    return np.where(Y > 0, rank, -1)


def cooccurrence(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """C = Y^T Y with zero diagonal, and freq = row sums of C."""
    C = Y.T @ Y
    np.fill_diagonal(C, 0.0)
    return C, C.sum(axis=1)


def first_cooccurrence(rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insertion keys: ``pair[a, b]`` orders the first time a and b co-occur (row, then
    the smaller rank, then the larger); ``node[a]`` orders the first time a co-occurs
    with anything (within an event, the label at the smaller rank first). BIG: never."""
    n, L = rank.shape
    K = int(rank.max()) + 1 if rank.size and rank.max() >= 0 else 1
    pair = np.full((L, L), BIG, np.int64)
    node = np.full(L, BIG, np.int64)
    for r in range(n):
        present = np.flatnonzero(rank[r] >= 0)
        if len(present) < 2:
            continue
        rk = rank[r, present]
        lo = np.minimum.outer(rk, rk)
        hi = np.maximum.outer(rk, rk)
        key = (r * K + lo) * K + hi
        # node key: 2 * event key, +1 when the node is the later rank of the event
        later = (rk[:, None] > rk[None, :]).astype(np.int64)
        nk = 2 * key + later
        np.fill_diagonal(nk, BIG)
        node[present] = np.minimum(node[present], nk.min(axis=1))
        np.fill_diagonal(key, BIG)
        pair[np.ix_(present, present)] = np.minimum(pair[np.ix_(present, present)], key)
    return pair, node


@dataclass
class Candidate:
    parent: int
    child: int
    p_parent_given_child: float


def candidate_edges(C: np.ndarray, freq: np.ndarray, threshold: float, pair_key: np.ndarray,
                    node_key: np.ndarray) -> list[Candidate]:
    """Every (parent b, child a) with P(b|a) > t and P(a|b) < P(b|a), children in node
    insertion order, each child's parents in pair insertion order."""
    out = []
    children = [a for a in np.argsort(node_key, kind="stable") if node_key[a] != BIG]
    for a in children:
        nbrs = [b for b in np.argsort(pair_key[a], kind="stable") if pair_key[a, b] != BIG]
        for b in nbrs:
            if freq[a] <= 0 or freq[b] <= 0:
                continue
            p_b_a = C[a, b] / freq[a]
            p_a_b = C[a, b] / freq[b]
            if p_b_a > threshold and p_a_b < p_b_a:
                out.append(Candidate(int(b), int(a), float(p_b_a)))
    return out


def build_tree(candidates: list[Candidate]) -> nx.DiGraph:
    """Edges parent -> child in candidate order, then the paper's cleanup."""
    g = nx.DiGraph()
    for c in candidates:
        g.add_edge(c.parent, c.child)
    for v in list(g.nodes):                 # exactly two parents: keep the first inserted
        parents = list(g.predecessors(v))
        if len(parents) == 2:
            g.remove_edge(parents[1], v)
    for v in list(g.nodes):                 # bounded shortcut removal (not a full transitive reduction)
        for p in list(g.predecessors(v)):
            for gp in list(g.predecessors(p)):
                if g.has_edge(gp, v):
                    g.remove_edge(gp, v)
                for ggp in list(g.predecessors(gp)):
                    if g.has_edge(ggp, v):
                        g.remove_edge(ggp, v)
    return g


def tree_metrics(g: nx.DiGraph) -> dict:
    """nodes, edges, roots, total path length (sum of all-pairs directed shortest path
    lengths) and average depth (mean length of all root-to-leaf paths)."""
    if g.number_of_nodes() and not nx.is_directed_acyclic_graph(g):
        raise ValueError("the emotion graph has a cycle; depth is undefined")
    tpl = sum(sum(d.values()) for _, d in nx.all_pairs_shortest_path_length(g))
    n_paths, len_sum = {}, {}
    for v in reversed(list(nx.topological_sort(g))):   # paths to leaves, counted by DP
        kids = list(g.successors(v))
        n_paths[v] = 1 if not kids else sum(n_paths[c] for c in kids)
        len_sum[v] = 0 if not kids else sum(len_sum[c] + n_paths[c] for c in kids)
    roots = [v for v in g if g.in_degree(v) == 0]
    total = sum(n_paths[r] for r in roots)
    depth = sum(len_sum[r] for r in roots) / total if total else 0.0
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "roots": len(roots),
            "total_path_length": int(tpl), "average_depth": float(depth)}


def purity(g: nx.DiGraph, group: list[int]) -> dict:
    """Fraction of edges whose parent and child share a primary group, and the value
    expected if the groups of the tree's nodes were shuffled among them."""
    if g.number_of_edges() == 0:
        return {"purity": None, "chance": None}
    same = sum(group[u] == group[v] for u, v in g.edges)
    counts = np.bincount([group[v] for v in g.nodes])
    n = g.number_of_nodes()
    chance = float((counts * (counts - 1)).sum() / (n * (n - 1)))
    return {"purity": same / g.number_of_edges(), "chance": chance}


def emotion_tree(Y: np.ndarray, rank: np.ndarray, threshold: float) -> nx.DiGraph:
    C, freq = cooccurrence(Y)
    pair_key, node_key = first_cooccurrence(rank)
    return build_tree(candidate_edges(C, freq, threshold, pair_key, node_key))


def describe(g: nx.DiGraph, labels, group: list[int]) -> dict:
    """Metrics, purity and the edge list (label names) of a tree."""
    return {**tree_metrics(g), **purity(g, group),
            "edge_list": [[labels[u], labels[v]] for u, v in g.edges]}


KEYS = ("token_id", "label")


def topk_tree(ids: np.ndarray, tokens: np.ndarray, probs: np.ndarray, labels, group_of: dict,
              threshold: float, keys: str = "token_id") -> dict:
    """The top-k tree of decoded next tokens with either node semantics (module doc), described.
    With ``token_id`` keys the graph's nodes are the decoded strings (as in the authors' graph:
    two ids that decode to the same string are one node there too); edge_list names them."""
    if keys == "label":
        Y, rank = topk_label_matrix(tokens, probs, labels)
        out = describe(emotion_tree(Y, rank, threshold), list(labels), [group_of[x] for x in labels])
        out["self_label_edges"], out["label_nodes"] = 0, out["nodes"]
    elif keys == "token_id":
        Y, rank, names, labs = topk_token_matrix(ids, tokens, probs, labels)
        g = emotion_tree(Y, rank, threshold)
        named = nx.relabel_nodes(g, {j: names[j] for j in g.nodes}, copy=True)
        if named.number_of_nodes() != g.number_of_nodes() or named.number_of_edges() != g.number_of_edges():
            # two ids with one decoded string: rebuild on names so that edges merge as the authors'
            named = build_tree([Candidate(names[c.parent], names[c.child], c.p_parent_given_child)
                                for c in candidate_edges(*cooccurrence(Y), threshold,
                                                         *first_cooccurrence(rank))])
        index = {v: i for i, v in enumerate(named.nodes)}
        lab_of = {names[j]: labs[j] for j in range(len(names))}
        g2 = nx.relabel_nodes(named, index, copy=True)
        out = describe(g2, list(named.nodes), [group_of[lab_of[v]] if v in lab_of else -1 for v in named.nodes])
        out["self_label_edges"] = int(sum(lab_of[u] == lab_of[v] for u, v in named.edges))
        out["label_nodes"] = len({lab_of[v] for v in named.nodes})
    else:
        raise ValueError(f"keys={keys!r} is not allowed; allowed: {', '.join(KEYS)}")
    out["keys"] = keys
    return out
