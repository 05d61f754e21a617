"""Protocol-faithful fake servers used by the tests."""
