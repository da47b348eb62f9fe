"""Co-occurrence, the parent rule, the paper's cleanup and the tree metrics."""

import itertools

import networkx as nx
import numpy as np
import pytest

from emotion_trees import trees as T

LABELS = ["joy", "happiness", "delight", "fear", "worry"]


def test_topk_matrix_and_cooccurrence_equal_the_pairwise_sum():
    tokens = np.array([[" joy", " the", "happiness", " a", " fear"],
                       [" delight", " joy", " so", " worry", "x"],
                       [" so", " a", " joy", " the", " fear"]])
    probs = np.array([[.4, .2, .1, .05, .01], [.3, .2, .1, .05, .01], [.5, .1, .08, .02, .01]])
    Y, rank = T.topk_label_matrix(tokens, probs, LABELS)
    C, freq = T.cooccurrence(Y)
    expect = np.zeros((5, 5))
    for r in range(3):   # the paper's loop: every pair of emotion ranks i < j adds p_i p_j
        em = [(LABELS.index(t.strip()), p) for t, p in zip(tokens[r], probs[r]) if t.strip() in LABELS]
        for (a, pa), (b, pb) in itertools.combinations(em, 2):
            expect[a, b] += pa * pb
            expect[b, a] += pa * pb
    np.testing.assert_allclose(C, expect)
    np.testing.assert_allclose(freq, expect.sum(1))
    assert rank[0].tolist() == [0, 2, -1, 4, -1]
    assert rank[1].tolist() == [1, -1, 0, -1, 3]


def test_parent_rule_makes_the_frequent_general_label_the_parent():
    # joy co-occurs with everything; happiness and delight only with joy
    Y = np.array([[.5, .2, 0, 0, 0], [.5, 0, .2, 0, 0], [.4, .1, 0, 0, 0], [.4, 0, .1, 0, 0.]])
    g = T.emotion_tree(Y, T.dense_ranks(Y), 0.3)
    assert sorted(g.edges) == [(0, 1), (0, 2)]
    C, freq = T.cooccurrence(Y)
    cands = T.candidate_edges(C, freq, 0.3, *T.first_cooccurrence(T.dense_ranks(Y)))
    # P(joy | happiness) = 1 > t and P(happiness | joy) < 1
    assert {(c.parent, c.child) for c in cands} == {(0, 1), (0, 2)}
    assert all(c.p_parent_given_child == pytest.approx(1.0) for c in cands)


def test_threshold_blocks_weak_parents():
    Y = np.array([[.5, .2, 0, 0, 0], [.5, 0, .2, 0, 0]])
    assert T.emotion_tree(Y, T.dense_ranks(Y), 0.99999).number_of_edges() == 2
    assert T.emotion_tree(Y, T.dense_ranks(Y), 1.0).number_of_edges() == 0   # strict ">"


def test_two_parents_keep_the_first_inserted_three_parents_stay():
    c = T.Candidate
    g = T.build_tree([c(0, 9, .5), c(1, 9, .9)])
    assert list(g.edges) == [(0, 9)]
    g = T.build_tree([c(1, 9, .9), c(0, 9, .5)])
    assert list(g.edges) == [(1, 9)]
    g = T.build_tree([c(0, 9, .5), c(1, 9, .5), c(2, 9, .5)])
    assert sorted(g.edges) == [(0, 9), (1, 9), (2, 9)]


def test_cleanup_removes_grandparent_and_great_grandparent_shortcuts_only():
    c = T.Candidate
    chain = [c(0, 1, .5), c(1, 2, .5), c(2, 3, .5), c(3, 4, .5)]
    g = T.build_tree(chain + [c(0, 2, .5)])
    assert sorted(g.edges) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    # a great-grandparent shortcut 0 -> 3 (three parents: 2, 0, 5 stay until cleanup)
    g = T.build_tree(chain + [c(0, 3, .5), c(5, 3, .5)])
    assert (0, 3) not in g.edges and (5, 3) in g.edges
    # a shortcut over four generations is beyond the paper's bounded cleanup
    g = T.build_tree(chain + [c(0, 4, .5), c(5, 4, .5)])
    assert (0, 4) in g.edges


def _graph(edges):
    g = nx.DiGraph()
    g.add_edges_from(edges)
    return g


@pytest.mark.parametrize("edges, tpl, depth, roots", [
    ([("r", "a"), ("r", "b"), ("r", "c")], 3, 1.0, 1),                 # star
    ([("a", "b"), ("b", "c")], 1 + 2 + 1, 2.0, 1),                    # chain
    ([("r", "a"), ("r", "b"), ("a", "c")], (1 + 1 + 2) + 1, 1.5, 1),  # paths r-a-c, r-b
    ([("x", "y"), ("p", "q"), ("q", "s")], 1 + (1 + 2 + 1), 1.5, 2),  # two trees
    ([("a", "c"), ("b", "c"), ("c", "d")], (1 + 2) + (1 + 2) + 1, 2.0, 2),  # shared child: a-c-d, b-c-d
])
def test_metrics_on_hand_built_trees(edges, tpl, depth, roots):
    m = T.tree_metrics(_graph(edges))
    assert m["total_path_length"] == tpl
    assert m["average_depth"] == pytest.approx(depth)
    assert m["roots"] == roots
    assert m["edges"] == len(edges)


def test_metrics_of_the_papers_gpt2_tree():
    m = T.tree_metrics(_graph([("r", "a"), ("r", "b")]))   # GPT-2: 3 nodes, 2 edges, TPL 2, depth 1
    assert (m["nodes"], m["edges"], m["total_path_length"], m["average_depth"]) == (3, 2, 2, 1.0)


def test_empty_tree_metrics():
    m = T.tree_metrics(nx.DiGraph())
    assert m == {"nodes": 0, "edges": 0, "roots": 0, "total_path_length": 0, "average_depth": 0.0}


def test_purity_and_its_chance_level():
    group = [0, 0, 0, 1, 1]
    g = _graph([(0, 1), (0, 2), (0, 3), (3, 4)])
    p = T.purity(g, group)
    assert p["purity"] == pytest.approx(3 / 4)
    assert p["chance"] == pytest.approx((3 * 2 + 2 * 1) / (5 * 4))
    assert T.purity(nx.DiGraph(), group) == {"purity": None, "chance": None}


def test_insertion_order_follows_first_cooccurrence():
    # row 0: fear (rank 0), worry (rank 3); row 1: joy (0), happiness (1), fear (2)
    rank = np.array([[-1, -1, -1, 0, 3], [0, 1, -1, 2, -1]])
    pair, node = T.first_cooccurrence(rank)
    order = [int(i) for i in np.argsort(node) if node[i] != T.BIG]
    assert order == [3, 4, 0, 1]
    assert pair[2].tolist() == [T.BIG] * 5           # delight never co-occurs
    nbrs_of_fear = [int(b) for b in np.argsort(pair[3]) if pair[3, b] != T.BIG]
    assert nbrs_of_fear == [4, 0, 1]


def test_random_trees_are_dags_with_parents_more_frequent():
    rng = np.random.default_rng(0)
    Y = rng.dirichlet(np.ones(20) * 0.3, size=200) * (rng.random((200, 20)) < 0.5)
    C, freq = T.cooccurrence(Y)
    g = T.emotion_tree(Y, T.dense_ranks(Y), 0.3)
    assert nx.is_directed_acyclic_graph(g)
    assert all(freq[u] > freq[v] for u, v in g.edges)
    assert all(g.in_degree(v) != 2 for v in g)     # the two-parent rule


def test_token_id_keys_keep_two_ids_of_one_label_apart():
    # " joy" (id 1) and "joy" (id 2) decode to one label. Keyed by token id (the authors') they
    # are two nodes whose co-occurrence counts; merged by label it is a diagonal term, dropped.
    ids = np.array([[1, 2, 5], [1, 2, 7], [1, 3, 2]])
    tokens = np.array([[" joy", "joy", " the"], [" joy", "joy", " a"], [" joy", " fear", "joy"]])
    probs = np.array([[.5, .3, .1], [.4, .2, .1], [.5, .1, .05]])
    Y, rank, names, labs = T.topk_token_matrix(ids, tokens, probs, LABELS)
    assert names == [" joy", "joy", " fear"] and labs == ["joy", "joy", "fear"]
    C, freq = T.cooccurrence(Y)
    # the authors' loop: rank pairs i < j of emotion tokens, keyed by id
    assert C[0, 1] == pytest.approx(.5 * .3 + .4 * .2 + .5 * .05)
    assert C[0, 2] == pytest.approx(.5 * .1) and C[1, 2] == pytest.approx(.1 * .05)
    assert rank[2].tolist() == [0, 2, 1]
    group_of = {lab: i for i, lab in enumerate(LABELS)}
    by_id = T.topk_tree(ids, tokens, probs, LABELS, group_of, 0.3, keys="token_id")
    # " joy" is the more frequent id: P(" joy" | "joy") = 0.255/0.26 > t -> edge " joy" -> "joy";
    # " fear" -> parent " joy" (P = .05/.055), and its pair with "joy" is weaker
    assert by_id["edge_list"] == [[" joy", "joy"], [" joy", " fear"]]
    assert by_id["self_label_edges"] == 1 and by_id["label_nodes"] == 2 and by_id["nodes"] == 3
    by_label = T.topk_tree(ids, tokens, probs, LABELS, group_of, 0.3, keys="label")
    # merged: joy's probabilities sum per row and the joy-joy pair is gone; joy and fear then
    # co-occur only with each other, P(joy | fear) = P(fear | joy) = 1, and no edge is left
    assert by_label["edge_list"] == [] and by_label["self_label_edges"] == 0
    with pytest.raises(ValueError):
        T.topk_tree(ids, tokens, probs, LABELS, group_of, 0.3, keys="word")
