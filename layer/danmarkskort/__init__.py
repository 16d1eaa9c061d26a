"""danmarkskort: the pipeline behind the danmarkskort over omgørelsesprocenter."""

__version__ = "0.1.0"
