"""What the test tiers share: builders, fakes at the edges, the test clock, the stacks."""
