"""Template tags of the memberships app."""
