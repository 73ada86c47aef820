"""The notices' buttons keep today's callback data: buttons already in chats still work."""

from __future__ import annotations

import re

import pytest

from bot.render import notices as render
from bot.render.callbacks import Codec

CODECS = [render.FLOW_CANCEL, render.FLOW_TARGET, render.FLOW_UNIT, render.FLOW_ACK,
          render.FLOW_NOW, render.FLOW_SEND, render.ACKNOWLEDGE, render.LIST_VIEW,
          render.LIST_REMIND]
# The patterns the handlers were registered with before the codecs.
OLD = {r"^nf:(?:[xolns]|k:[01]|u:[0-9]{1,12})\Z", r"^na:[0-9]{1,12}\Z", r"^n[vr]:[0-9]{1,12}\Z"}


@pytest.mark.parametrize(("data", "codec", "values"), [
    ("nf:x", render.FLOW_CANCEL, ()),
    ("nf:o", render.FLOW_TARGET, ("o",)),
    ("nf:l", render.FLOW_TARGET, ("l",)),
    ("nf:u:123456789012", render.FLOW_UNIT, (123456789012,)),
    ("nf:k:1", render.FLOW_ACK, ("1",)),
    ("nf:k:0", render.FLOW_ACK, ("0",)),
    ("nf:n", render.FLOW_NOW, ()),
    ("nf:s", render.FLOW_SEND, ()),
    ("na:42", render.ACKNOWLEDGE, (42,)),
    ("nv:7", render.LIST_VIEW, (7,)),
    ("nr:7", render.LIST_REMIND, (7,)),
])
def test_todays_data_decodes_with_one_codec_and_encodes_back(
        data: str, codec: Codec, values: tuple[object, ...]) -> None:
    assert any(re.match(old, data) for old in OLD)
    assert [c for c in CODECS if re.match(c.pattern, data)] == [codec]
    assert codec.decode(data) == values
    assert codec.encode(*values) == data


@pytest.mark.parametrize("data", ["nf:u:", "nf:u:1234567890123", "nf:k:2", "nf:z", "na:",
                                  "na:x", "nv:1:2", "nf", "nf:", "nx:1"])
def test_other_data_matches_no_codec(data: str) -> None:
    assert not any(re.match(old, data) for old in OLD)
    assert not any(c.matches(data) for c in CODECS)
