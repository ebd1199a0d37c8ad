"""What a payee's legal name may be: a name the rails can carry to the bank, that reads on
screen as it is stored.

- At most ``NAME_MAX_LENGTH`` (140) characters: ISO 20022's ``Max140Text`` party name (SEPA, RTP,
  the card and wallet rails), the account holder name every payout method takes, and what the
  provider accepts. The payee's name is its methods' holder name when they give none, so a
  longer one could never be paid. (NACHA's individual name is 22 characters: an ACH adapter
  must shorten it in its file, as banks do; refusing every name past 22 would refuse real ones.)
- No bidirectional control characters: they reorder what follows on screen
  (``"Ada\u202eecnalaB"`` shows as "AdaBalance"), so finance reviewing a payout and the bank
  paying it would not read the same name. Holder names refuse them too.
"""

from __future__ import annotations

from core.errors import InvalidInput
from rails.methods.fields import HOLDER_NAME_MAX_LENGTH

NAME_MAX_LENGTH = HOLDER_NAME_MAX_LENGTH
# The embeddings and overrides (U+202A-U+202E), the isolates (U+2066-U+2069) and the implicit
# marks (LRM, RLM, the Arabic letter mark).
BIDI_CONTROLS = frozenset(
    [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    + ["\u200e", "\u200f", "\u061c"]
)
BIDI_MESSAGE = (
    "must not contain bidirectional control characters "
    "(U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C)"
)


def has_bidi_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)


def legal_name_clean(value: object) -> str:
    """The name as stored (trimmed), or ``InvalidInput`` on ``legal_name``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("legal_name is a non-empty string", field="legal_name")
    name = value.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(
            f"legal_name is at most {NAME_MAX_LENGTH} characters", field="legal_name"
        )
    if has_bidi_controls(name):
        raise InvalidInput(f"legal_name {BIDI_MESSAGE}", field="legal_name")
    return name
