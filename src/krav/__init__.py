"""krav — Norwegian dunning and debt collection with every krone explained."""

__version__ = "0.1.0"
