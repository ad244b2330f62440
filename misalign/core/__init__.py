"""The model core: validation, weight means, the pair-sum engine and the score (numpy only)."""
