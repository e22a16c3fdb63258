from __future__ import annotations

import knowledge_base


def test_the_knowledge_base_package_exports_exactly_its_public_names() -> None:
    public = {name for name in vars(knowledge_base) if not name.startswith("_") and name[0].isupper()}
    assert sorted(knowledge_base.__all__) == sorted(public | {"decide"})
    for name in knowledge_base.__all__:
        assert getattr(knowledge_base, name) is not None
