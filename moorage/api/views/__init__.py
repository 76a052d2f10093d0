"""What several routes of one resource share: request fields and representations."""
