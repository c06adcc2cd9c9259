"""Module 03, data: the embedded story corpus, loaders for real data sets, ingestion, token files,
sequence policies, batch samplers and near-duplicate detection. Import what you need from its module."""
