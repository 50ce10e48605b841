"""Origins: paths of a rendered document translated back to the file the user wrote."""

from __future__ import annotations

from stackctl.config.origins import Origins


def test_nothing_recorded_means_the_same_path() -> None:
    assert (
        Origins().path(("providers", "inference", 0, "config", "url")) == "providers.inference[0].config.url"
    )


def test_kept_indices_map_rendered_indices_to_source_ones() -> None:
    origins = Origins(kept={("providers", "inference"): (1, 3)})
    assert origins.path(("providers", "inference", 0)) == "providers.inference[1]"
    assert origins.path(("providers", "inference", 1, "config", "x")) == "providers.inference[3].config.x"
    assert origins.path(("providers", "safety", 0)) == "providers.safety[0]"


def test_nested_lists_are_translated_from_the_root() -> None:
    # The outer list lost [0]; inside its source element [2], the inner list lost [0] and [1].
    origins = Origins(kept={("groups",): (1, 2), ("groups", 2, "items"): (2,)})
    assert origins.path(("groups", 1, "items", 0, "name")) == "groups[2].items[2].name"
    assert origins.path(("groups", 0, "items", 0)) == "groups[1].items[0]"


def test_keep_composes_with_an_earlier_drop() -> None:
    origins = Origins()
    origins.keep(("models",), [1, 2, 3])  # substitution dropped [0]
    origins.keep(("models",), [0, 2])  # then the resource at (rendered) [1] was dropped
    assert origins.kept[("models",)] == (1, 3)
    assert origins.path(("models", 1, "model_id")) == "models[3].model_id"


def test_moves_undo_normalization_before_the_drops() -> None:
    origins = Origins(kept={("registered_resources", "vector_stores"): (1,)})
    origins.move(("image_name",), ("distro_name",))
    origins.move(("vector_dbs", 2), ("registered_resources", "vector_stores", 0))
    origins.move(
        ("vector_dbs", 2, "vector_db_id"), ("registered_resources", "vector_stores", 0, "vector_store_id")
    )
    assert origins.path(("image_name",)) == "distro_name"
    assert origins.path(("vector_dbs", 2, "embedding_dimension")) == (
        "registered_resources.vector_stores[1].embedding_dimension"
    )
    assert (
        origins.path(("vector_dbs", 2, "vector_db_id"))
        == "registered_resources.vector_stores[1].vector_store_id"
    )
    assert origins.path(("vector_dbs", 0)) == "vector_dbs[0]"
