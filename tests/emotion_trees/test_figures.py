"""Figures on analyses whose top-k trees are keyed by token id (node names carry the token's
leading space, e.g. " outrage": the quick run's figures stage once failed on them)."""

from emotion_trees import figures as plots


def _analysis():
    labels = ["joy", "cheerfulness", "anger", "outrage"]
    tree = {"edge_list": [[" joy", " cheerfulness"], ["joy", " joy"], [" anger", " outrage"]],
            "nodes": 5, "edges": 3, "total_path_length": 4, "average_depth": 1.3}
    dense = {"edge_list": [["anger", "outrage"]], "nodes": 2, "edges": 1, "total_path_length": 1,
             "average_depth": 1.0}
    rec = {"neutral": {"accuracy_primary": 0.5, "accuracy_all": 0.4, "confusion_primary": [[1, 0], [1, 1]]}}
    return {"labels": labels, "group": [0, 0, 1, 1], "primaries": ["joy", "anger"],
            "models": {"m": {"n_params": 1e8, "size": 1e8, "family": "f",
                             "trees": {"topk": tree, "topk_alt": tree, "dense": dense},
                             "recognition": rec}}}


def test_figures_draw_token_id_named_nodes(tmp_path):
    a = _analysis()
    for name, fn in (("trees", plots.trees_figure), ("complexity", plots.complexity_figure),
                     ("recognition", plots.recognition_figure), ("confusion", plots.confusion_figure)):
        out = tmp_path / f"{name}.png"
        fn(a, out)
        assert out.stat().st_size > 1000
