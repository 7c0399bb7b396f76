"""xent: a cross-entropy calculator and mock-interview quiz for the terminal."""

__version__ = "0.1.0"
