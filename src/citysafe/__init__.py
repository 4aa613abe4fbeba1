"""citysafe: a city government's platform for work safety and disaster prevention, reduction and relief."""

__version__ = "0.1.0"
