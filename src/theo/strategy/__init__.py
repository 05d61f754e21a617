"""One configured strategy."""
