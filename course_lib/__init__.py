"""Language Models from Scratch: the workbook's reference library and infrastructure."""

__version__ = "0.1.0"
