"""Teams and heroes, a back_populates pair declared with SQLModel, for the test of claim 27.

A module of its own, without `from __future__ import annotations`: SQLModel reads the
annotations of its relationships as Python objects, so they are evaluated here, not postponed.
"""

from typing import Any

from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel


def teams_and_heroes(mappers: registry) -> tuple[type[Any], type[Any]]:
    """Map Team.heroes <-> Hero.team with SQLModel's Relationship(), in `mappers`."""

    class Base(SQLModel, registry=mappers):
        pass

    class Team(Base, table=True):
        __tablename__ = "claims_teams"
        id: int | None = Field(default=None, primary_key=True)
        heroes: list["Hero"] = Relationship(back_populates="team")

    class Hero(Base, table=True):
        __tablename__ = "claims_heroes"
        id: int | None = Field(default=None, primary_key=True)
        team_id: int | None = Field(default=None, foreign_key="claims_teams.id")
        team: Team | None = Relationship(back_populates="heroes")

    return Team, Hero
