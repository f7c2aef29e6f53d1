"""bisum: bilingual (Chinese + English) summaries of Chinese-language news."""

__version__ = "0.1.0"
