"""Operations exceptions: what does not fit the books reaches a person instead of being dropped."""
