"""Hand-written everyday relations with a labelled typical duration.

ICEWS holds events between states and officials, not a person's life; nothing
in it says that "be born in" never changes or that "feel" changes by the hour.
These lists supply that, kept apart from the ICEWS data and named as what they
are: one engineer's rough estimates of how long a slot's object typically
lasts (days; ``None`` = never changes). A factor of two does not matter much:
the everyday clock saturates (docs/temporal.md).

* :data:`ANCHORS` (67, a few per life domain): general everyday relations,
  none of them in :data:`LEXICON` or a paraphrase of one.
* :data:`LEXICON` (33): the relations the rule extractor emits and the brief
  asks about. The ``transfer`` gate is trained on ANCHORS only and scored on
  these (how well the gate generalises to unseen relation texts); the shipped
  gate is trained on both, so the store's own relations get their labels.
* :data:`PROBES_B` (22): written down before any gate was scored on them and
  never trained on by any variant: the clean transfer check.
"""

from __future__ import annotations

__all__ = ["ANCHORS", "LEXICON", "PROBES_B", "YEAR"]

YEAR = 365.25

#: (relation, typical days until the object changes, or None for never), a few
#: per life domain, spanning each domain's range of stability.
ANCHORS: tuple[tuple[str, float | None], ...] = (
    # biology and origin
    ("have blood type", None),
    ("be the biological parent of", None),
    ("be the sibling of", None),
    ("be the grandchild of", None),
    ("have eye color", None),
    ("be descended from", None),
    ("have birthday on", None),
    # identity and law
    ("be a citizen of", 40 * YEAR),
    ("practice religion", 40 * YEAR),
    ("have tattoo of", 40 * YEAR),
    ("be the godparent of", 50 * YEAR),
    ("have nickname", 20 * YEAR),
    # health and body
    ("have chronic condition", 30 * YEAR),
    ("be vaccinated against", 10 * YEAR),
    ("take medication for", 2 * YEAR),
    ("be pregnant with", 270.0),
    ("recover from", 30.0),
    ("have cold", 7.0),
    ("have headache", 0.3),
    # family and people
    ("be the guardian of", 10 * YEAR),
    ("be the neighbour of", 5 * YEAR),
    ("be the mentor of", 2 * YEAR),
    ("be the roommate of", 1.5 * YEAR),
    ("take care of", 2 * YEAR),
    # home and places
    ("have summer house in", 15 * YEAR),
    ("have mortgage with", 10 * YEAR),
    ("rent apartment in", 3 * YEAR),
    ("stay at", 5.0),
    ("park at", 0.3),
    ("sit in", 0.1),
    ("be stuck in", 0.1),
    # work and money
    ("bank with", 10 * YEAR),
    ("run business", 8 * YEAR),
    ("be a member of", 4 * YEAR),
    ("have office in", 4 * YEAR),
    ("be the manager of", 3 * YEAR),
    ("coach team", 3 * YEAR),
    ("work on project", 120.0),
    ("be in meeting with", 0.05),
    # skills and learning
    ("know how to", 20 * YEAR),
    ("be certified in", 10 * YEAR),
    ("take course in", 120.0),
    ("train for", 120.0),
    # things and accounts
    ("have email address", 6 * YEAR),
    ("have phone number", 5 * YEAR),
    ("use phone model", 2.5 * YEAR),
    ("subscribe to", 1 * YEAR),
    ("carry", 0.5),
    # habits and hobbies
    ("collect", 10 * YEAR),
    ("play in band", 3 * YEAR),
    ("follow diet", 2 * YEAR),
    ("be knitting", 14.0),
    # plans and wishes
    ("be saving for", 1 * YEAR),
    ("be looking for", 30.0),
    ("plan to", 30.0),
    # emotions and states of mind
    ("be proud of", 1 * YEAR),
    ("be worried about", 5.0),
    ("be excited about", 3.0),
    ("be tired of", 2.0),
    ("be angry at", 1.0),
    ("be hungry for", 0.25),
    # social moments and now
    ("travel through", 10.0),
    ("meet up with", 4.0),
    ("have dinner with", 2.0),
    ("be busy with", 1.0),
    ("wait for", 0.1),
    ("be on the phone with", 0.02),
)

#: The extractor's relations and the brief's examples, with a prior duration.
LEXICON: tuple[tuple[str, float | None], ...] = (
    ("be born in", None),
    ("be born on", None),
    ("be from", None),
    ("grow up in", None),
    ("graduate from", None),
    ("be allergic to", 30 * YEAR),
    ("speak", 30 * YEAR),
    ("be married to", 25 * YEAR),
    ("support", 20 * YEAR),
    ("be friends with", 10 * YEAR),
    ("live in", 7 * YEAR),
    ("own", 6 * YEAR),
    ("like", 5 * YEAR),
    ("dislike", 5 * YEAR),
    ("have", 5 * YEAR),
    ("work as", 5 * YEAR),
    ("work at", 4 * YEAR),
    ("study at", 3 * YEAR),
    ("study", 3 * YEAR),
    ("practice", 3 * YEAR),
    ("prefer", 3 * YEAR),
    ("volunteer at", 2 * YEAR),
    ("date", 1.5 * YEAR),
    ("be engaged to", 1.5 * YEAR),
    ("be reading", 14.0),
    ("read", 14.0),
    ("visit", 7.0),
    ("watch", 7.0),
    ("want", 3.0),
    ("listen to", 3.0),
    ("feel", 1.0),
    ("be wearing", 0.5),
    ("be at", 0.25),
)

#: Held out from every variant; written down before any gate was scored on it.
PROBES_B: tuple[tuple[str, float | None], ...] = (
    ("be the mother of", None),
    ("be the father of", None),
    ("be afraid of", 20 * YEAR),
    ("believe in", 20 * YEAR),
    ("be a fan of", 15 * YEAR),
    ("teach", 10 * YEAR),
    ("play", 8 * YEAR),
    ("drive", 6 * YEAR),
    ("be the president of", 6 * YEAR),
    ("be the ceo of", 6 * YEAR),
    ("go to school at", 4 * YEAR),
    ("vote for", 4 * YEAR),
    ("be in love with", 3 * YEAR),
    ("be learning", 1 * YEAR),
    ("have a crush on", 180.0),
    ("be planning", 30.0),
    ("be sick with", 7.0),
    ("have appointment with", 3.0),
    ("be watching", 3.0),
    ("be nervous about", 2.0),
    ("be listening to", 0.1),
    ("be cooking", 0.05),
)
