"""Masked evidence and keyed value hashes."""

import pytest

from dgp.domain.evidence import ValueHasher, mask


@pytest.mark.parametrize(
    "value",
    [
        "111222333",
        "NL91ABNA0417164300",
        "AKIAIOSFODNN7EXAMPLE",
        "jan.jansen@example.nl",
        "4539148803436467",
        "+31 6 12345678",
        "S3cr3tP4ss",
    ],
)
def test_mask_hides_most_of_the_value(value: str) -> None:
    masked = mask(value)
    assert masked != value
    assert value not in masked
    shown = sum(1 for c in masked if c != "*")
    assert shown <= max(len(value) * 0.5, 8)


def test_mask_examples() -> None:
    assert mask("111222333") == "11******3"
    assert mask("AKIAIOSFODNN7EXAMPLE") == "AKIA*************PLE"
    assert mask("jan.jansen@example.nl") == "j***@***.nl"
    assert mask("abc") == "***"


def test_hash_is_keyed_and_normalised() -> None:
    a, b = ValueHasher(b"k" * 32), ValueHasher(b"j" * 32)
    assert a("111 222 333", "pii.bsn") == a("111222333", "pii.bsn")
    assert a("Jan@Example.NL", "pii.email") == a("jan@example.nl", "pii.email")
    assert a("111222333", "pii.bsn") != b("111222333", "pii.bsn")
    assert len(a("x", "secret.high_entropy")) == 64


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        ValueHasher(b"short")
