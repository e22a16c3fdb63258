"""Scripts both pages use are written once: one reconnecting WebSocket client and one JSON fetch in both bundles."""

from __future__ import annotations

from pathlib import Path

from web import assets, console, widget


def test_the_widget_and_the_console_bundle_the_same_live_connection_and_json_fetch() -> None:
    for shared in (assets.LIVE_JS, assets.HTTP_JS):
        script = shared.read_bytes()
        assert script in widget.bundle() and script in console.bundle()


def test_no_other_script_of_either_page_calls_fetch() -> None:
    own = [*widget.STATIC.glob("*.js"), *console.STATIC.glob("*.js")]
    fetching = [path.name for path in own if path.name != "vendor.js" and "fetch(" in path.read_text()]
    assert fetching == []


def test_no_other_script_of_either_page_opens_a_websocket() -> None:
    own = [*widget.STATIC.glob("*.js"), *console.STATIC.glob("*.js")]
    opening = [path.name for path in own if path.name != "vendor.js" and "new WebSocket(" in path.read_text()]
    assert opening == []
    assert "new WebSocket(" in assets.LIVE_JS.read_text()


def test_the_shared_folder_holds_only_what_both_pages_bundle() -> None:
    shared = sorted(Path(path).name for path in (assets.LIVE_JS, assets.HTTP_JS))
    assert sorted(path.name for path in assets.SHARED.iterdir()) == shared
