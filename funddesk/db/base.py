"""The declarative base every FundDesk table shares: naming conventions, enum storage, timestamps."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Constraint names are stable across SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """An enum stored as its string values in a VARCHAR with a CHECK constraint (no native type)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


Created = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)]
Updated = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)]
Lang = Annotated[str, mapped_column(String(8), nullable=False, default="en")]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[dict[str, str]]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }
